import PipeKit

Tool.main(NodeRun.spec, NodeRun.run)
