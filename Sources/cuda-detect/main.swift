import PipeKit

Tool.main(CudaDetect.spec, CudaDetect.run)
