import PipeKit
import RemoteQueue

Tool.main(RemoteQueueCommand.spec, RemoteQueueCommand.run)
