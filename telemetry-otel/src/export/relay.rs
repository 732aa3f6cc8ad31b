//! Relayed records: what the shop ships *for another producer*, the browser,
//! whose spans and logs reach the shop's RUM intake and are handed to the
//! backend with [`telemetry_api::Telemetry::relay_span`].
//!
//! OTLP groups records by resource, and the SDK's processors carry one
//! resource each, so relayed records get pipelines of their own: the same
//! batch processor and logger provider as the shop's (sharing its queues'
//! statistics), built under the producer's resource when its first record
//! arrives. One relayed producer per process: the shop has one browser app.
//! Records of a second one are dropped and counted.

use std::sync::{Arc, OnceLock};

use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::BatchSpanProcessor;
use telemetry_api::{BackendError, Resource};

use crate::config::Config;
use crate::logs::LogBridge;
use crate::stats::Tally;

/// The pipelines of the relayed producer.
pub struct RelayPipelines {
    pub service_name: String,
    pub spans: BatchSpanProcessor,
    pub logs: SdkLoggerProvider,
    pub log_bridge: LogBridge,
}

/// What it takes to build [`RelayPipelines`] later: the backend's settings,
/// its tallies, and its runtime (the OTLP clients are made on it).
pub struct RelayFactory {
    pub config: Config,
    pub span_tally: Arc<Tally>,
    pub log_tally: Arc<Tally>,
    pub runtime: tokio::runtime::Handle,
}

impl RelayFactory {
    fn build(&self, producer: &Resource) -> Result<RelayPipelines, BackendError> {
        let _on_export_runtime = self.runtime.enter();
        let resource = crate::resource::relayed_resource(producer);
        let spans = crate::span_pipeline(&self.config, &self.span_tally, &resource)?;
        let logs = crate::log_pipeline(&self.config, &self.log_tally, resource)?;
        let log_bridge = LogBridge::new(&logs);
        Ok(RelayPipelines {
            service_name: producer.service_name.clone(),
            spans,
            logs,
            log_bridge,
        })
    }
}

/// The relay: built once, on first use.
pub struct Relay {
    factory: RelayFactory,
    pipelines: OnceLock<Option<RelayPipelines>>,
}

impl Relay {
    pub fn new(factory: RelayFactory) -> Relay {
        Relay {
            factory,
            pipelines: OnceLock::new(),
        }
    }

    /// The pipelines for `producer`; `None` when they could not be built or
    /// belong to another producer.
    pub fn for_producer(&self, producer: &Resource) -> Option<&RelayPipelines> {
        let pipelines = self
            .pipelines
            .get_or_init(|| match self.factory.build(producer) {
                Ok(p) => Some(p),
                Err(e) => {
                    // Once per process: the relay stays off.
                    eprintln!("telemetry-otel: relayed records are dropped: {e}");
                    None
                }
            });
        pipelines
            .as_ref()
            .filter(|p| p.service_name == producer.service_name)
    }

    /// The pipelines, if any record was relayed (for flush and shutdown).
    pub fn built(&self) -> Option<&RelayPipelines> {
        self.pipelines.get().and_then(Option::as_ref)
    }
}
