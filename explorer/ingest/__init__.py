"""Turn the real release files of each dataset into the documented Parquet export."""
