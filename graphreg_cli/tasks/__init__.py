"""What graphreg does with a model: train, predict, evaluate, explain, perturb, and the run
folder they share."""
