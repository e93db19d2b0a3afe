"""Read and check: the results files, the data files and the facts, each file checked once before
anything is compared."""
