"""Running the models without torch: ONNX files exported once from the packaged weights, and the
thread settings every inference session here starts with."""
