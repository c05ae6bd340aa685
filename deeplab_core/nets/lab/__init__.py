"""The train lab: synthetic scenes, tiny DeepLab variants, and the loop that trains and scores them."""
