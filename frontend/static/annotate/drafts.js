// Work not saved yet, kept in this browser per project and image, so that a lost lease, a
// conflict, a network failure or a closed tab never costs the annotator their clicks.

const PREFIX = "alweb.annotate.draft";
// Drafts of images that never came back (skipped by a crash, labelled by others) fade out.
const KEEP_MS = 14 * 24 * 3600 * 1000;

const keyOf = (projectId, imageId) => `${PREFIX}.${projectId}.${imageId}`;

/** Store the draft ({instances, selected, current, etag}); false when the browser refuses (storage full or disabled). */
export function saveDraft(projectId, imageId, { instances, selected, current, etag }) {
  try {
    const draft = { instances, selected, current, etag, savedAt: Date.now() };
    localStorage.setItem(keyOf(projectId, imageId), JSON.stringify(draft));
    return true;
  } catch {
    return false;
  }
}

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key));
  } catch {
    return null;
  }
}

/** The draft of the image, or null; whether its people fit the image is for the caller to check. */
export function loadDraft(projectId, imageId) {
  const draft = read(keyOf(projectId, imageId));
  return draft && typeof draft === "object" && Number.isInteger(draft.current) ? draft : null;
}

export function dropDraft(projectId, imageId) {
  try {
    localStorage.removeItem(keyOf(projectId, imageId));
  } catch {
    // Storage disabled: there was nothing to drop.
  }
}

export function pruneDrafts(now = Date.now()) {
  let keys;
  try {
    keys = Object.keys(localStorage);
  } catch {
    return;
  }
  for (const key of keys.filter((name) => name.startsWith(`${PREFIX}.`))) {
    if (!(now - read(key)?.savedAt < KEEP_MS)) localStorage.removeItem(key);
  }
}
