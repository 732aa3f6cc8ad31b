import Link from "next/link";

export default function NotFound() {
  return (
    <section className="py-16 text-center">
      <h1 className="text-2xl font-semibold">This page does not exist.</h1>
      <p className="mt-2 text-stone-600">The link may be old, or mistyped.</p>
      <Link href="/" className="mt-6 inline-block text-emerald-800 underline">Back to the shop</Link>
    </section>
  );
}
