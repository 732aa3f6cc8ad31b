//! `image-resize`: resizes an original picture that lands in S3 into the
//! catalog's sizes (see `shop_functions::image_resize`).

use std::process::ExitCode;

use shop_functions::function::{self, Trigger};
use shop_functions::image_resize::ImageResize;

fn main() -> ExitCode {
    function::main(
        "image-resize",
        Trigger::Datasource,
        ImageResize::from_env_with,
        |state, event: serde_json::Value| async move { state.handle(event).await },
    )
}
