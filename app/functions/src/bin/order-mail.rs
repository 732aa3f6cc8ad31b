//! `order-mail`: the shop's mails sent by a Lambda function that an SQS
//! event-source mapping invokes with batches from the mail queues, through
//! the notification worker's own processing (see
//! `shop_functions::order_mail`). The lab sends mail with the worker; this is
//! the AWS-shaped alternative (docs/events.md).

use std::process::ExitCode;

use aws_lambda_events::sqs::SqsEvent;
use shop_functions::function::{self, Trigger};
use shop_functions::order_mail::OrderMail;

fn main() -> ExitCode {
    function::main(
        "order-mail",
        Trigger::Pubsub,
        OrderMail::from_env,
        |state, event: SqsEvent| async move { state.handle(event).await },
    )
}
