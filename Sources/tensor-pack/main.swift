import PipeKit

Tool.main(TensorPack.spec, TensorPack.run)
