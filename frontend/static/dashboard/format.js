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

// "07h": short enough for 24 labels under a small bar chart.
export function hour(iso) {
  return `${String(new Date(iso).getHours()).padStart(2, "0")}h`;
}
