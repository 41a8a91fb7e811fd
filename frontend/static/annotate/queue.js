// The annotator's place in the queue: the leased image on screen, the next one leased and
// decoded ahead of time, and both leases kept alive while the annotator works.
import { ApiError, request } from "../shared/api.js";

const RENEW_FALLBACK_MS = 60000;
const RENEW_MIN_MS = 5000;

async function loadPicture(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new ApiError(response.status, null, "The image could not be loaded.");
  // Decoded off the main thread, so that showing it later costs one drawImage.
  return createImageBitmap(await response.blob());
}

/** An entry's picture, decoding if need be; null when it cannot be loaded. */
export async function pictureOf(entry) {
  const picture = await entry.picture;
  if (picture) return picture;
  entry.picture = loadPicture(entry.image_url).catch(() => null);
  return entry.picture;
}

/** A third of the lease's life, measured on the server's clock so that a wrong local clock does no harm. */
function renewInterval(entry, serverDate) {
  const ttl = Date.parse(entry.lease.expires_at) - Date.parse(serverDate);
  return Number.isFinite(ttl) ? Math.max(RENEW_MIN_MS, ttl / 3) : RENEW_FALLBACK_MS;
}

export class Queue {
  /** onLeaseLost(message) says that the image on screen is no longer this annotator's. */
  constructor(projectId, { onLeaseLost }) {
    this.nextPath = `/projects/${projectId}/queue/next/`;
    this.onLeaseLost = onLeaseLost;
    this.current = null;
    this.upcoming = null; // promise of the prefetched entry, null when there is none
    this.prefetched = null; // that entry once it arrived, for renewals
    this.renewEveryMs = RENEW_FALLBACK_MS;
    this.timer = null;
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.renew();
    });
  }

  async lease(body) {
    const { data, date } = await request("POST", this.nextPath, { body });
    if (!data) return null;
    data.picture = loadPicture(data.image_url).catch(() => null);
    this.renewEveryMs = renewInterval(data, date);
    return data;
  }

  /** The image to label now: the one this annotator holds already, else the top of the queue; null when empty. */
  async take() {
    this.current = await this.lease({});
    this.schedule();
    return this.current;
  }

  /** Lease and decode the image after the current one while the annotator works on this one. */
  prefetch() {
    const after = this.current;
    const upcoming = this.lease({ after: after.lease.id })
      .then((entry) => {
        if (entry?.image !== after.image) return entry;
        // The current lease had run out and the queue leased the same image again: keep that lease.
        after.lease = entry.lease;
        return null;
      })
      .catch(() => null);
    this.upcoming = upcoming;
    this.prefetched = null;
    upcoming.then((entry) => {
      if (this.upcoming === upcoming) this.prefetched = entry;
    });
  }

  /** The prefetched entry, once it arrived; null when there is none. */
  async upcomingEntry() {
    return (await this.upcoming) ?? null;
  }

  /** Make the prefetched entry the current one. */
  advanceTo(entry) {
    this.current = entry;
    this.upcoming = this.prefetched = null;
    this.schedule();
  }

  /** Move on: the prefetched image if there is one, else whatever the queue gives. */
  async advance() {
    const upcoming = await this.upcomingEntry();
    if (!upcoming) return this.take();
    this.advanceTo(upcoming);
    return upcoming;
  }

  /** Go back to an entry whose save failed; the one on screen becomes the next again, still leased. */
  returnTo(entry) {
    const left = this.current;
    this.current = entry;
    this.prefetched = left;
    this.upcoming = Promise.resolve(left);
    this.schedule();
  }

  /** Give the current image back (skip); a lease that is gone already needs no release. */
  async release() {
    const entry = this.current;
    try {
      await request("POST", `/leases/${entry.lease.id}/release/`);
    } catch (error) {
      if (![404, 409].includes(error.status)) throw error;
    }
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.renew(), this.renewEveryMs);
  }

  async renew() {
    this.schedule();
    const current = this.current;
    const prefetched = this.prefetched;
    if (current && !current.lost) {
      await this.renewOne(current, (message) => {
        current.lost = true;
        if (this.current === current) this.onLeaseLost(message);
      });
    }
    if (prefetched) {
      await this.renewOne(prefetched, () => {
        // Someone else has it now: the next image is whatever the queue gives then.
        if (this.prefetched === prefetched) this.upcoming = this.prefetched = null;
      });
    }
  }

  async renewOne(entry, lost) {
    try {
      await request("POST", `/leases/${entry.lease.id}/renew/`);
    } catch (error) {
      // A network error is retried at the next tick; the lease outlives a few missed renewals.
      if ([404, 409].includes(error.status)) lost(error.message);
    }
  }
}
