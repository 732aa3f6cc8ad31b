//! Each backend's encoder, called the way its exporter calls it, from the
//! same records.
//!
//! - `awssdk`: [`telemetry_awssdk::traces::segment::segment_documents`], the
//!   hand-written X-Ray segment JSON its trace worker builds per request
//!   (one document with nested subsegments), which `PutTraceSegments` then
//!   carries as strings.
//! - `otel`: [`telemetry_otel::traces::span_data`] (the conversion its
//!   `export_span` does on the request path), then what
//!   `opentelemetry-otlp`'s HTTP exporter does with a batch:
//!   `group_spans_by_resource_and_scope` with the resource the backend
//!   gives its span processor, and prost's `encode_to_vec` of an
//!   `ExportTraceServiceRequest` (`opentelemetry-otlp` 0.33.1,
//!   `exporter/http/mod.rs`, `build_trace_export_body`; no compression,
//!   the default).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use prost::Message;
use telemetry_api::{Resource, SpanRecord};
use telemetry_awssdk::resource::AwsResource;
use telemetry_awssdk::traces::segment::segment_documents;

use crate::request::Request;

/// The `awssdk` trace worker's encoder.
pub struct XrayJson {
    context: AwsResource,
}

impl XrayJson {
    pub fn new(resource: &Resource) -> XrayJson {
        XrayJson {
            context: AwsResource::new(resource, None),
        }
    }

    /// The segment documents of one request (one, unless it exceeds X-Ray's
    /// 64 KB per document).
    pub fn encode(&self, request: &Request) -> Vec<String> {
        let (documents, too_big) =
            segment_documents(&self.context, &request.root, &request.children);
        debug_assert_eq!(too_big, 0);
        documents
    }
}

/// The `otel` backend's conversion and OTLP/HTTP's protobuf encoding.
pub struct OtlpProtobuf {
    resource: ResourceAttributesWithSchema,
}

impl OtlpProtobuf {
    pub fn new(resource: &Resource) -> OtlpProtobuf {
        // The resource the backend builds (`telemetry_otel::resource`), with
        // no `OTEL_*` variables; the exporter keeps it in this form.
        let otel = telemetry_otel::resource::resource(resource, None);
        OtlpProtobuf {
            resource: ResourceAttributesWithSchema::from(&otel),
        }
    }

    /// One export request's body for these spans (as the batch processor
    /// would hand them over: owned, in the order they ended).
    pub fn encode(&self, spans: Vec<SpanRecord>) -> Vec<u8> {
        let spans = spans
            .into_iter()
            .map(telemetry_otel::traces::span_data)
            .collect();
        let request = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(spans, &self.resource),
        };
        request.encode_to_vec()
    }
}

/// Bytes of one request, each way (for the cost model: what goes on the
/// wire per request before any batching or compression).
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Sum of the segment documents' lengths.
    pub xray_json: usize,
    /// Length of the OTLP protobuf body.
    pub otlp_protobuf: usize,
}

pub fn sizes(resource: &Resource, request: &Request) -> Sizes {
    Sizes {
        xray_json: XrayJson::new(resource)
            .encode(request)
            .iter()
            .map(String::len)
            .sum(),
        otlp_protobuf: OtlpProtobuf::new(resource).encode(request.spans()).len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

    #[test]
    fn both_encoders_carry_the_whole_request() {
        let resource = Resource::new("shop", "bench");
        let request = crate::request::product_page();

        let docs = XrayJson::new(&resource).encode(&request);
        assert_eq!(docs.len(), 1);
        let doc: serde_json::Value = serde_json::from_str(&docs[0]).expect("JSON");
        assert_eq!(doc["name"], "shop");
        assert_eq!(doc["subsegments"].as_array().map(Vec::len), Some(4));

        let body = OtlpProtobuf::new(&resource).encode(request.spans());
        let decoded = ExportTraceServiceRequest::decode(body.as_slice()).expect("protobuf");
        let spans: Vec<_> = decoded
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .collect();
        assert_eq!(spans.len(), 5);
        assert_eq!(
            spans
                .iter()
                .filter(|s| s.kind == SpanKind::Server as i32)
                .count(),
            1
        );

        let s = sizes(&resource, &request);
        assert!(s.xray_json > 500 && s.otlp_protobuf > 500, "{s:?}");
    }
}
