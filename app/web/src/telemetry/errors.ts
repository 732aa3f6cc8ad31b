// A JS error or an unhandled promise rejection, in both places a learner looks: a log record
// (severity ERROR, with `exception.type`, `exception.message` and `exception.stacktrace`, the
// semantic conventions' names) and an error span (status ERROR, with the `exception` event), so
// that the error shows in the trace it happened in (a named click's, when a click caused it) and
// the log line points at that trace.
import { context, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { type Logger, SeverityNumber } from "@opentelemetry/api-logs";
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from "@opentelemetry/semantic-conventions";

/** Where an error was caught: the span's name says it. */
export type ErrorSource = "window.error" | "unhandledrejection" | "react.error_boundary";

export interface Exception {
  type: string;
  message: string;
  stacktrace?: string;
}

/** What was thrown (an Error, or anything: `throw "x"`, `Promise.reject(42)`), as an exception. */
export function exceptionOf(thrown: unknown, fallbackMessage = ""): Exception {
  if (thrown instanceof Error) {
    return { type: thrown.name || "Error", message: thrown.message, stacktrace: thrown.stack };
  }
  // An error event without its error (a script of another origin: "Script error.").
  if (thrown === undefined || thrown === null) return { type: "Error", message: fallbackMessage };
  let message: string;
  try {
    message = typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    message = String(thrown);
  }
  return { type: typeof thrown, message: message || fallbackMessage };
}

/** Records one error: a span and, within it, the log record. */
export function recordError(tracer: Tracer, logger: Logger, source: ErrorSource, e: Exception, time = Date.now()): void {
  const attributes = {
    [ATTR_EXCEPTION_TYPE]: e.type,
    // Bounded: a message or a stack can be long, and the intake takes 256 KiB a request.
    [ATTR_EXCEPTION_MESSAGE]: e.message.slice(0, 1000),
    ...(e.stacktrace ? { [ATTR_EXCEPTION_STACKTRACE]: e.stacktrace.slice(0, 8000) } : {}),
  };
  const span = tracer.startSpan(source, { attributes: { "error.type": e.type }, startTime: time });
  span.addEvent("exception", attributes, time);
  span.setStatus({ code: SpanStatusCode.ERROR, message: attributes[ATTR_EXCEPTION_MESSAGE] });
  // Emitted in the span's context: the record carries its trace and span ids.
  context.with(trace.setSpan(context.active(), span), () => {
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: "ERROR",
      body: `${e.type}: ${attributes[ATTR_EXCEPTION_MESSAGE]}`,
      attributes: { ...attributes, "error.source": source },
      timestamp: time,
    });
  });
  span.end(time);
}
