import PipeKit

Tool.main(RemoteQueueCommand.spec, RemoteQueueCommand.run)
