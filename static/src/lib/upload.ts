import { ApiError, type ApiClient } from '../api/client';
import type { SignedUploadTicket, UploadResponse } from '../api/types';

/**
 * Uploading a file: the API first answers an upload ticket for the file's name and size
 * (POST /api/uploads), which refuses a file it would not take before any byte moves. On the
 * local platform the ticket says "direct": the file goes to POST /api/files. In the cloud it says
 * "signed": the file goes straight to the tenant's drop bucket through a signed resumable upload
 * URL (a POST starts the session, PUTs send the bytes), never through the API, whose requests are
 * capped at 32 MiB there. An interrupted transfer resumes where the bucket says it stopped.
 */

export interface UploadProgress {
  loaded: number;
  total: number;
}

/** A request to storage (not the API: no Authorization header is ever added). */
export interface TransferRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Blob | null;
  /** Bytes of the body sent so far. */
  onProgress?: (loaded: number) => void;
  signal?: AbortSignal;
}

export interface TransferResponse {
  /** 0 when no answer came back (network failure). */
  status: number;
  header(name: string): string | null;
  text: string;
}

/** Sends one request to storage. */
export type Transfer = (req: TransferRequest) => Promise<TransferResponse>;

/** The browser's transfer: XMLHttpRequest, because fetch cannot report upload progress. */
export const xhrTransfer: Transfer = (req) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(req.method, req.url);
    for (const [k, v] of Object.entries(req.headers)) xhr.setRequestHeader(k, v);
    if (req.onProgress) {
      const report = req.onProgress;
      xhr.upload.onprogress = (e) => report(e.loaded);
    }
    const abort = () => xhr.abort();
    req.signal?.addEventListener('abort', abort, { once: true });
    const done = (status: number) => {
      req.signal?.removeEventListener('abort', abort);
      resolve({ status, header: (n) => xhr.getResponseHeader(n), text: status ? String(xhr.responseText ?? '') : '' });
    };
    xhr.onload = () => done(xhr.status);
    xhr.onerror = () => done(0);
    xhr.ontimeout = () => done(0);
    xhr.onabort = () => {
      req.signal?.removeEventListener('abort', abort);
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
    };
    xhr.send(req.body ?? null);
  });

export interface UploadOptions {
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
  /** How requests to storage are sent (tests pass a fake). */
  transfer?: Transfer;
  /** Attempts at sending the bytes of a signed upload, resuming after each break (default 5). */
  maxAttempts?: number;
  /** Wait before attempt n (2, 3, ...) of a signed upload; default 1 s, 2 s, 4 s, ... up to 30 s. */
  retryDelayMs?: (attempt: number) => number;
}

/** Uploads a file the way the deployment's upload ticket says; answers the object it created. */
export async function uploadFile(api: ApiClient, file: File, opts: UploadOptions = {}): Promise<UploadResponse> {
  const total = file.size;
  opts.onProgress?.({ loaded: 0, total });
  const ticket = await api.uploadTicket({ name: file.name, size: file.size, content_type: file.type || undefined });
  if (ticket.mode === 'signed') {
    await uploadSigned(ticket, file, opts);
    opts.onProgress?.({ loaded: total, total });
    return { object: { ...ticket.object, size: file.size } };
  }
  const res = await api.uploadFile(file);
  opts.onProgress?.({ loaded: total, total });
  return res;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new DOMException('The upload was cancelled.', 'AbortError'));
      },
      { once: true },
    );
  });

const defaultDelay = (attempt: number) => Math.min(30_000, 1000 * 2 ** (attempt - 2));

/** Whether a storage answer may go away on its own (retry, resuming). */
const passing = (status: number) => status === 0 || status === 408 || status === 429 || status >= 500;

/** The next byte the storage wants, from a 308 answer's Range header ("bytes=0-N"); 0 when none. */
function nextOffset(res: TransferResponse): number {
  const m = /bytes=0-(\d+)/.exec(res.header('Range') ?? '');
  return m ? Number(m[1]) + 1 : 0;
}

/** Turns a storage refusal into an error for people. */
function storageError(status: number, text: string, what: string): ApiError {
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? '';
  if (status === 0) return new ApiError('network', `Cannot reach the storage to ${what}. Check your connection and try again.`);
  if (code === 'EntityTooLarge' || /content.length.range/i.test(text)) {
    return new ApiError('invalid', 'The file is larger than this deployment accepts.', status);
  }
  if (status === 403 || status === 401) {
    return new ApiError('permission', `The storage refused to ${what} (the upload link may have expired): try the upload again.`, status);
  }
  if (status === 404 || status === 410) {
    return new ApiError('not_found', `The upload session has ended: try the upload again.`, status);
  }
  if (passing(status)) return new ApiError('transient', `The storage is not available to ${what}: try again in a moment.`, status);
  return new ApiError('invalid', `The storage refused to ${what} (${status}${code ? ' ' + code : ''}).`, status);
}

/** Starts the resumable session the ticket signs, then sends the bytes, resuming after breaks. */
async function uploadSigned(ticket: SignedUploadTicket, file: File, opts: UploadOptions): Promise<void> {
  const transfer = opts.transfer ?? xhrTransfer;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const delay = opts.retryDelayMs ?? defaultDelay;
  const total = file.size;
  const contentType = ticket.headers['content-type'] ?? ticket.headers['Content-Type'];

  let start: TransferResponse | undefined;
  for (let attempt = 1; ; attempt++) {
    start = await transfer({ method: ticket.method, url: ticket.url, headers: ticket.headers, body: null, signal: opts.signal });
    if (!passing(start.status) || attempt >= maxAttempts) break;
    await sleep(delay(attempt + 1), opts.signal);
  }
  const session = start.header('Location');
  if (start.status < 200 || start.status > 299 || !session) {
    throw storageError(start.status, start.text, 'start the upload');
  }

  let offset = 0;
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = {};
    if (contentType) headers['Content-Type'] = contentType;
    if (offset > 0) headers['Content-Range'] = `bytes ${offset}-${total - 1}/${total}`;
    const from = offset;
    const res = await transfer({
      method: 'PUT',
      url: session,
      headers,
      body: offset > 0 ? file.slice(offset) : file,
      onProgress: (loaded) => opts.onProgress?.({ loaded: Math.min(total, from + loaded), total }),
      signal: opts.signal,
    });
    if (res.status === 200 || res.status === 201) return;
    if (res.status !== 308 && !passing(res.status)) throw storageError(res.status, res.text, 'store the file');
    if (attempt >= maxAttempts) throw storageError(res.status, res.text, 'store the file');
    await sleep(delay(attempt + 1), opts.signal);
    // Ask how much arrived, and go on from there.
    const status = await transfer({
      method: 'PUT',
      url: session,
      headers: { 'Content-Range': `bytes */${total}` },
      body: null,
      signal: opts.signal,
    });
    if (status.status === 200 || status.status === 201) return;
    if (status.status === 308) {
      offset = nextOffset(status);
      opts.onProgress?.({ loaded: offset, total });
    } else if (!passing(status.status)) {
      throw storageError(status.status, status.text, 'store the file');
    }
  }
}
