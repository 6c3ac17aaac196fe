import PipeKit

Tool.main(RemoteFetch.spec, RemoteFetch.run)
