"""The demo: two accounts and a project of synthetic stick figures to label and train on."""
