"use client";

// The signed-in admin's live sessions (`GET /api/admin/sessions`): where and when, never a token;
// end one (`DELETE /api/admin/sessions/{id}`). Ending this one signs this tab out.
import { useRouter } from "next/navigation";
import { useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { PageTitle, Problem, secondary, table } from "@/components/admin/ui";
import { ErrorState, Loading } from "@/components/states";
import { adminApi, forgetCsrfToken, loginPath, when } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";

export function SessionsView() {
  const { call } = useAdmin();
  const router = useRouter();
  const loaded = useLoad("sessions", () => call(() => adminApi.GET("/api/admin/sessions")));
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <PageTitle>My sessions</PageTitle>
      <p className="mb-4 text-sm text-stone-600">A session ends after 30 minutes without activity and 12 hours after login in any case.</p>
      {loaded.state === "loading" && <Loading what="sessions" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" && (
        <div className="overflow-x-auto rounded-xl border border-stone-200 bg-white">
          <table className={table} data-testid="sessions">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Last seen</th>
                <th scope="col">From</th>
                <th scope="col">Browser</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.map((s) => (
                <tr key={s.id}>
                  <td className="text-xs">
                    {when(s.created_at)}
                    {s.current && <span className="ml-1 rounded bg-emerald-50 px-1 text-emerald-900">this one</span>}
                    {!s.second_factor_given && <span className="ml-1 text-amber-800">(no second factor yet)</span>}
                  </td>
                  <td className="text-xs">{when(s.last_seen_at)}</td>
                  <td className="font-mono text-xs">{s.client_address ?? "?"}</td>
                  <td className="max-w-xs truncate text-xs" title={s.user_agent ?? ""}>
                    {s.user_agent ?? "?"}
                  </td>
                  <td>
                    <button
                      type="button"
                      className={secondary}
                      data-telemetry-name="admin-session-end"
                      onClick={async () => {
                        setError(null);
                        try {
                          await call(() => adminApi.DELETE("/api/admin/sessions/{id}", { params: { path: { id: s.id } } }));
                          if (s.current) {
                            forgetCsrfToken();
                            router.replace(loginPath("signed-out"));
                          } else loaded.reload();
                        } catch (e) {
                          setError(e);
                        }
                      }}
                    >
                      {s.current ? "Sign out" : "End"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Problem error={error} />
    </>
  );
}
