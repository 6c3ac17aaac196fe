import PipeKit

Tool.main(VenvMake.spec, VenvMake.run)
