//! `stock-report`: the stock report batch job (A-BATCH-01) on a schedule
//! (see `shop_functions::stock_report`).

use std::process::ExitCode;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use shop_functions::function::{self, Trigger};
use shop_functions::stock_report::StockReport;

fn main() -> ExitCode {
    function::main(
        "stock-report",
        Trigger::Timer,
        StockReport::from_env,
        |state, event: EventBridgeEvent<serde_json::Value>| async move { state.handle(event).await },
    )
}
