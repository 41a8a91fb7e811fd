// How numbers and times read on the dashboard: missing values as a dash, never as NaN.

export function number(value, digits = 3) {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

export function percent(value, digits = 1) {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)} %` : "–";
}

export function duration(seconds) {
  if (!Number.isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function dateTime(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function hour(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}
