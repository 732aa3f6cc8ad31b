"use client";

// A product's picture (`POST /api/admin/products/{id}/image`, docs/admin.md "Pictures"): the file
// goes up with XMLHttpRequest, whose upload events give a real progress bar (fetch has none for a
// request body); then the shop resizes it, inline (200, the new URLs at once) or through the
// image-resize function (202: this polls the upload's status until it is done or failed).
import { useEffect, useRef, useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, Done, primary, Problem } from "@/components/admin/ui";
import { ApiError, type Product } from "@/lib/api";
import { adminApi, type AdminSchemas, csrfToken } from "@/lib/admin";
import { track, uploadTraceHeaders } from "@/telemetry";

const MAX_BYTES = 8 * 1024 * 1024;
const POLL_MS = 1_000;
const POLL_FOR_MS = 120_000;

type Uploaded = AdminSchemas["UploadedImage"] | AdminSchemas["AcceptedUpload"];

type State =
  | { step: "idle" }
  | { step: "uploading"; percent: number }
  | { step: "resizing" }
  | { step: "pending" }
  | { step: "done"; imageUrl: string }
  | { step: "failed"; error: unknown };

/**
 * The upload as openapi-fetch answers (so the frame's session handling applies), with progress
 * and `sent` when the body has gone up.
 */
function send(
  productId: number,
  file: File,
  headers: Record<string, string>,
  progress: (percent: number) => void,
  sent: () => void,
): Promise<{ data?: Uploaded; error?: unknown; response: Response }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/admin/products/${productId}/image`);
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) progress(Math.round((e.loaded / e.total) * 100));
    });
    xhr.upload.addEventListener("load", () => {
      sent();
      progress(100);
    });
    xhr.addEventListener("load", () => {
      const body: unknown = xhr.response;
      const response = new Response(null, { status: xhr.status });
      resolve(xhr.status >= 200 && xhr.status < 300 ? { data: body as Uploaded, response } : { error: body ?? {}, response });
    });
    xhr.addEventListener("error", () => reject(new Error("network")));
    xhr.addEventListener("abort", () => reject(new Error("aborted")));
    const form = new FormData();
    form.append("image", file);
    xhr.send(form);
  });
}

export function ImageUpload({ product, uploaded }: { product: Product; uploaded: (product: Product) => void }) {
  const { call } = useAdmin();
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<State>({ step: "idle" });
  const live = useRef(true);
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);
  const busy = state.step === "uploading" || state.step === "resizing" || state.step === "pending";

  async function upload(picked: File) {
    if (picked.size > MAX_BYTES) {
      setState({ step: "failed", error: new ApiError(413, "payload_too_large", "The picture is over 8 MiB: choose a smaller file.") });
      return;
    }
    setState({ step: "uploading", percent: 0 });
    // Its telemetry (F-TRACE-08, F-METRIC-10): a span from here to the end, with its progress; the
    // transfer's length (until the body has gone up) gives its speed.
    const id = crypto.randomUUID();
    let sentAt: number | null = null;
    track({ kind: "upload_start", id, bytes: picked.size });
    try {
      const answer = await call(() =>
        send(
          product.id,
          picked,
          // The upload's trace header: the shop's span and the function's join the upload's trace.
          uploadTraceHeaders(id),
          (percent) => {
            track({ kind: "upload_progress", id, percent });
            if (live.current) setState(percent < 100 ? { step: "uploading", percent } : { step: "resizing" });
          },
          () => {
            sentAt = Date.now();
          },
        ),
      );
      let imageUrl: string;
      if ("upload_id" in answer) {
        // 202: the image-resize function does the work; its status says when it is done.
        setState({ step: "pending" });
        imageUrl = await poll(answer.upload_id);
      } else {
        imageUrl = answer.image_url;
      }
      track({ kind: "upload_end", id, outcome: "ok", status: "upload_id" in answer ? 202 : 200, sentAt });
      if (!live.current) return;
      setState({ step: "done", imageUrl });
      const fresh = await call(() => adminApi.GET("/api/admin/products/{id}", { params: { path: { id: product.id } } })).catch(() => null);
      if (fresh && live.current) uploaded(fresh);
    } catch (error) {
      track({ kind: "upload_end", id, outcome: "error", status: error instanceof ApiError ? error.status : 0, sentAt });
      if (live.current) setState({ step: "failed", error });
    }
  }

  async function poll(uploadId: string): Promise<string> {
    const deadline = Date.now() + POLL_FOR_MS;
    while (live.current) {
      const status = await call(() =>
        adminApi.GET("/api/admin/products/{id}/image/uploads/{upload_id}", { params: { path: { id: product.id, upload_id: uploadId } } }),
      );
      if (status.status === "done" && status.image_url) return status.image_url;
      if (status.status === "failed") throw new ApiError(422, "upload_failed", `The picture could not be processed (${status.reason ?? "unknown reason"}).`);
      if (Date.now() > deadline) throw new ApiError(504, "upload_timeout", "The picture is still being processed. Check again later: reload this page.");
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new ApiError(0, "aborted", "Left the page.");
  }

  const percent = state.step === "uploading" ? state.percent : state.step === "idle" || state.step === "failed" ? 0 : 100;
  return (
    <section aria-labelledby="picture-title" className={card}>
      <h2 id="picture-title" className="text-lg font-semibold">
        Picture
      </h2>
      {/* eslint-disable-next-line @next/next/no-img-element */}
      <img
        src={state.step === "done" ? state.imageUrl : product.image_url}
        alt={`Picture of ${product.name}`}
        width={300}
        height={300}
        data-testid="product-picture"
        className="mt-3 aspect-square w-full max-w-xs rounded-lg border border-stone-200 bg-white"
      />
      <form
        className="mt-4"
        onSubmit={(e) => {
          e.preventDefault();
          if (file) void upload(file);
        }}
      >
        <label htmlFor="picture-file" className="block text-sm font-medium">
          New picture
        </label>
        <input
          id="picture-file"
          type="file"
          accept="image/png,image/jpeg,image/gif,image/webp"
          aria-describedby="picture-file-hint"
          disabled={busy}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          className="mt-1 block w-full text-sm file:mr-3 file:rounded-md file:border file:border-stone-300 file:bg-white file:px-3 file:py-1.5"
        />
        <p id="picture-file-hint" className="mt-1 text-xs text-stone-500">
          PNG, JPEG, GIF or WebP, at most 8 MiB and 8,000 pixels a side. It is resized to 600 × 600 and 200 × 200, never cropped.
        </p>
        <button type="submit" disabled={!file || busy} data-telemetry-name="admin-image-upload" className={`${primary} mt-3`}>
          Upload
        </button>
      </form>
      {state.step !== "idle" && (
        <div className="mt-4">
          <div
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            data-testid="upload-progress"
            className="h-2 w-full overflow-hidden rounded-full bg-stone-200"
          >
            <div className={`h-full transition-[width] ${state.step === "failed" ? "bg-red-700" : "bg-emerald-700"}`} style={{ width: `${percent}%` }} />
          </div>
          <p className="mt-2 text-sm text-stone-700" role="status" data-testid="upload-status" data-step={state.step}>
            {state.step === "uploading" && `Uploading… ${state.percent} %`}
            {state.step === "resizing" && "Uploaded. The shop is resizing it…"}
            {state.step === "pending" && "Uploaded. Waiting for the resizer…"}
            {state.step === "done" && "Done: the shop shows the new picture."}
            {state.step === "failed" && "The upload failed."}
          </p>
          {state.step === "failed" && <Problem error={state.error} testId="upload-error" />}
          {state.step === "done" && <Done>New picture saved. Its address is new, so shoppers see it at once.</Done>}
        </div>
      )}
    </section>
  );
}
