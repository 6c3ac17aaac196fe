import PipeKit
import WheelURL

Tool.main(WheelURLCommand.spec, WheelURLCommand.run)
