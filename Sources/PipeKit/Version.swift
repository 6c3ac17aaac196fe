public let pipeKitVersion = "0.1.0"
