"""The model learns the corpus it serves: training pairs made from the cases' own text
(`pairs`), a map of the question's vector trained on them (`train`), and where tuned models
are kept and which one serves (`store`)."""
