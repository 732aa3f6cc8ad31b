"use client";

// Admin accounts (`/api/admin/admins`): invite (`POST /api/admin/invitations`: the link to give
// the new admin), roles (a step-up), disable and enable (a step-up), reset MFA (a step-up), end
// their sessions. The shop refuses what would leave no enabled administrator (409).
import { useState } from "react";

import { useAdmin } from "@/components/admin/shell";
import { card, Done, Field, input, PageTitle, primary, Problem, secondary, table } from "@/components/admin/ui";
import { ErrorState, Loading } from "@/components/states";
import { adminApi, type AdminProfile, type AdminSchemas, type RoleName, when } from "@/lib/admin";
import { useLoad } from "@/lib/use-load";

const ROLES: RoleName[] = ["viewer", "catalog_manager", "inventory_manager", "order_manager", "security_auditor", "administrator"];
const label = (r: string) => r.replaceAll("_", " ");

export function AdminsView() {
  const { call, me } = useAdmin();
  const loaded = useLoad("admins", () => call(() => adminApi.GET("/api/admin/admins")));
  const administrator = me.admin.roles.includes("administrator");
  return (
    <>
      <PageTitle>Admins and roles</PageTitle>
      {loaded.state === "loading" && <Loading what="admins" />}
      {loaded.state === "error" && <ErrorState error={loaded.error} retry={loaded.retry} />}
      {loaded.state === "done" && (
        <div className="space-y-6">
          <div className="overflow-x-auto rounded-xl border border-stone-200 bg-white">
            <table className={table} data-testid="admins">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Roles</th>
                  <th scope="col">State</th>
                  {administrator && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {loaded.data.map((a) => (
                  <AdminRow key={a.id} admin={a} self={a.id === me.admin.id} manage={administrator} changed={loaded.reload} />
                ))}
              </tbody>
            </table>
          </div>
          {administrator && <Invite />}
        </div>
      )}
    </>
  );
}

function AdminRow({ admin, self, manage, changed }: { admin: AdminProfile; self: boolean; manage: boolean; changed: () => void }) {
  const { call } = useAdmin();
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState<string[]>(admin.roles);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const act = async (request: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await request();
      setEditing(false);
      changed();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const path = { params: { path: { id: admin.id } } };
  return (
    <tr className="align-top">
      <td>
        {admin.name}
        {self && <span className="ml-1 text-xs text-stone-500">(you)</span>}
      </td>
      <td className="text-xs">{admin.email}</td>
      <td>
        {editing ? (
          <fieldset>
            <legend className="sr-only">Roles of {admin.name}</legend>
            {ROLES.map((r) => (
              <label key={r} className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))} />
                {label(r)}
              </label>
            ))}
            <div className="mt-2 flex gap-2">
              <button
                type="button"
                disabled={busy || roles.length === 0}
                className={primary}
                data-telemetry-name="admin-roles-save"
                onClick={() => act(() => call(() => adminApi.PUT("/api/admin/admins/{id}/roles", { ...path, body: { roles: roles as RoleName[] } })))}
              >
                Save roles
              </button>
              <button type="button" className={secondary} onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </fieldset>
        ) : (
          admin.roles.map(label).join(", ")
        )}
      </td>
      <td className="text-xs">
        {admin.disabled ? "disabled" : "active"}
        <br />
        {admin.mfa_enrolled ? "two-step on" : "no second factor yet"}
        <br />
        <span className="text-stone-500">since {when(admin.created_at)}</span>
      </td>
      {manage && (
        <td>
          <div className="flex flex-wrap gap-1">
            {!editing && (
              <button type="button" className={secondary} onClick={() => setEditing(true)} aria-label={`Roles of ${admin.name}`}>
                Roles
              </button>
            )}
            <button
              type="button"
              className={secondary}
              disabled={busy}
              aria-label={`${admin.disabled ? "Enable" : "Disable"} ${admin.name}`}
              onClick={() =>
                act(() =>
                  admin.disabled
                    ? call(() => adminApi.POST("/api/admin/admins/{id}/enable", path))
                    : call(() => adminApi.POST("/api/admin/admins/{id}/disable", path)),
                )
              }
            >
              {admin.disabled ? "Enable" : "Disable"}
            </button>
            <button
              type="button"
              className={secondary}
              disabled={busy || !admin.mfa_enrolled}
              aria-label={`Reset MFA of ${admin.name}`}
              onClick={() => window.confirm(`Reset the second factor of ${admin.name}? They enrol again at their next login.`) && act(() => call(() => adminApi.POST("/api/admin/admins/{id}/reset-mfa", path)))}
            >
              Reset MFA
            </button>
            <button
              type="button"
              className={secondary}
              disabled={busy}
              aria-label={`End sessions of ${admin.name}`}
              onClick={() => act(() => call(() => adminApi.POST("/api/admin/admins/{id}/revoke-sessions", path)))}
            >
              End sessions
            </button>
          </div>
          <Problem error={error} />
        </td>
      )}
    </tr>
  );
}

function Invite() {
  const { call } = useAdmin();
  const [email, setEmail] = useState("");
  const [roles, setRoles] = useState<RoleName[]>(["viewer"]);
  const [invitation, setInvitation] = useState<AdminSchemas["InvitationResponse"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const link = invitation ? `${location.origin}/admin/invitation/?token=${invitation.token}` : "";
  return (
    <form
      className={`${card} max-w-xl`}
      aria-labelledby="invite-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setInvitation(null);
        try {
          setInvitation(await call(() => adminApi.POST("/api/admin/invitations", { body: { email: email.trim(), roles } })));
          setEmail("");
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h2 id="invite-title" className="text-lg font-semibold">
        Invite an admin
      </h2>
      <Field id="invite-email" label="E-mail">
        <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} className={input} />
      </Field>
      <fieldset className="mt-4">
        <legend className="text-sm font-medium">Roles</legend>
        <div className="mt-1 grid gap-1 sm:grid-cols-2">
          {ROLES.map((r) => (
            <label key={r} className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))} />
              {label(r)}
            </label>
          ))}
        </div>
      </fieldset>
      <Problem error={error} />
      {invitation && (
        <Done testId="invitation-link">
          Invitation for {invitation.email}, valid until {when(invitation.expires_at)}. Give them this link (it works once):{" "}
          <code className="break-all">{link}</code>
        </Done>
      )}
      <button type="submit" disabled={roles.length === 0} data-telemetry-name="admin-invite" className={`${primary} mt-4`}>
        Invite
      </button>
    </form>
  );
}
