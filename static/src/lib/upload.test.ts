import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../api/client';
import type { SignedUploadTicket } from '../api/types';
import { fakeFetch, jsonResponse } from '../test/fakeApi';
import { uploadFile, type TransferRequest, type TransferResponse, type UploadProgress } from './upload';

function api(routes: Parameters<typeof fakeFetch>[0]) {
  const f = fakeFetch(routes);
  return { api: new ApiClient({ getToken: () => 'tok-1', fetch: f.fetch }), calls: f.calls };
}

const object = { bucket: 'acme-drop', name: 'orders.csv', size: 10 };

const directTicket = { mode: 'direct', method: 'POST', url: '/api/files', field: 'file', max_bytes: 2 << 30, object };

const signedTicket: SignedUploadTicket = {
  mode: 'signed',
  resumable: true,
  method: 'POST',
  url: 'https://storage.googleapis.com/acme-drop/orders.csv?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=ab12',
  headers: { 'content-type': 'text/csv', 'x-goog-resumable': 'start', 'x-goog-content-length-range': '0,2147483648' },
  expires: '2026-12-08T10:15:00Z',
  max_bytes: 2147483648,
  object,
};

const SESSION = 'https://storage.googleapis.com/acme-drop/orders.csv?upload_id=sess-1';

function answer(status: number, headers: Record<string, string> = {}, text = ''): TransferResponse {
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, header: (n) => h.get(n.toLowerCase()) ?? null, text };
}

/** A storage stand-in: answers each request in turn, recording them (bodies read as text). */
function fakeStorage(...answers: Array<(req: TransferRequest) => TransferResponse>) {
  const sent: Array<{ method: string; url: string; headers: Record<string, string>; body: string | null }> = [];
  let i = 0;
  const transfer = vi.fn(async (req: TransferRequest) => {
    sent.push({ method: req.method, url: req.url, headers: req.headers, body: req.body ? await readText(req.body) : null });
    const a = answers[i++];
    if (!a) throw new Error(`unexpected request ${req.method} ${req.url}`);
    return a(req);
  });
  return { transfer, sent };
}

function readText(b: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsText(b);
  });
}

const file = () => new File(['0123456789'], 'orders.csv', { type: 'text/csv' });

describe('uploadFile', () => {
  it('asks for a ticket, then uploads through the API when the ticket says direct', async () => {
    const { api: client, calls } = api({
      'POST /api/uploads': directTicket,
      'POST /api/files': jsonResponse(202, { object }),
    });
    const storage = fakeStorage();
    const progress: UploadProgress[] = [];
    const res = await uploadFile(client, file(), { transfer: storage.transfer, onProgress: (p) => progress.push(p) });

    expect(res).toEqual({ object });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/uploads', 'POST /api/files']);
    expect(JSON.parse(String(calls[0].body))).toEqual({ name: 'orders.csv', size: 10, content_type: 'text/csv' });
    expect(calls[0].headers.authorization).toBe('Bearer tok-1');
    expect((calls[1].body as FormData).get('file')).toMatchObject({ name: 'orders.csv', size: 10 });
    expect(storage.transfer).not.toHaveBeenCalled();
    expect(progress[0]).toEqual({ loaded: 0, total: 10 });
    expect(progress.at(-1)).toEqual({ loaded: 10, total: 10 });
  });

  it('uploads straight to storage when the ticket is signed: starts the session, then PUTs the bytes', async () => {
    const { api: client, calls } = api({ 'POST /api/uploads': signedTicket });
    const storage = fakeStorage(
      () => answer(201, { Location: SESSION }),
      (req) => {
        req.onProgress?.(4);
        req.onProgress?.(10);
        return answer(200);
      },
    );
    const progress: UploadProgress[] = [];
    const res = await uploadFile(client, file(), { transfer: storage.transfer, onProgress: (p) => progress.push(p) });

    expect(res).toEqual({ object });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/uploads']); // no byte through the API
    expect(storage.sent).toEqual([
      { method: 'POST', url: signedTicket.url, headers: signedTicket.headers, body: null },
      { method: 'PUT', url: SESSION, headers: { 'Content-Type': 'text/csv' }, body: '0123456789' },
    ]);
    for (const s of storage.sent) {
      expect(Object.keys(s.headers).map((k) => k.toLowerCase())).not.toContain('authorization');
    }
    expect(progress.map((p) => p.loaded)).toEqual([0, 4, 10, 10]);
  });

  it('resumes where storage says it stopped after the connection breaks', async () => {
    const { api: client } = api({ 'POST /api/uploads': signedTicket });
    const storage = fakeStorage(
      () => answer(200, { Location: SESSION }),
      (req) => {
        req.onProgress?.(6);
        return answer(0); // the connection broke
      },
      () => answer(308, { Range: 'bytes=0-3' }), // 4 bytes arrived
      () => answer(200),
    );
    const progress: UploadProgress[] = [];
    await uploadFile(client, file(), { transfer: storage.transfer, retryDelayMs: () => 0, onProgress: (p) => progress.push(p) });

    expect(storage.sent.slice(2)).toEqual([
      { method: 'PUT', url: SESSION, headers: { 'Content-Range': 'bytes */10' }, body: null },
      { method: 'PUT', url: SESSION, headers: { 'Content-Type': 'text/csv', 'Content-Range': 'bytes 4-9/10' }, body: '456789' },
    ]);
    expect(progress.map((p) => p.loaded)).toEqual([0, 6, 4, 10]);
  });

  it('starts over from the first byte when storage has none of it', async () => {
    const { api: client } = api({ 'POST /api/uploads': signedTicket });
    const storage = fakeStorage(
      () => answer(201, { Location: SESSION }),
      () => answer(503),
      () => answer(308), // no Range: nothing arrived
      () => answer(201),
    );
    await uploadFile(client, file(), { transfer: storage.transfer, retryDelayMs: () => 0 });
    expect(storage.sent[3]).toEqual({ method: 'PUT', url: SESSION, headers: { 'Content-Type': 'text/csv' }, body: '0123456789' });
  });

  it('gives up after the last attempt with a message for people', async () => {
    const { api: client } = api({ 'POST /api/uploads': signedTicket });
    const storage = fakeStorage(
      () => answer(201, { Location: SESSION }),
      () => answer(0),
      () => answer(0),
      () => answer(0),
    );
    await expect(uploadFile(client, file(), { transfer: storage.transfer, retryDelayMs: () => 0, maxAttempts: 2 })).rejects.toMatchObject({
      kind: 'network',
      message: expect.stringContaining('Cannot reach the storage'),
    });
    expect(storage.transfer).toHaveBeenCalledTimes(4); // start, PUT, status, PUT
  });

  it('reports a refused session start (an expired link) without sending the bytes', async () => {
    const { api: client } = api({ 'POST /api/uploads': signedTicket });
    const storage = fakeStorage(() =>
      answer(403, {}, '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>expired</Message></Error>'),
    );
    await expect(uploadFile(client, file(), { transfer: storage.transfer })).rejects.toMatchObject({
      kind: 'permission',
      message: expect.stringContaining('may have expired'),
    });
    expect(storage.transfer).toHaveBeenCalledTimes(1);
  });

  it('says a file over the limit is too large when storage refuses its size', async () => {
    const { api: client } = api({ 'POST /api/uploads': signedTicket });
    const storage = fakeStorage(
      () => answer(201, { Location: SESSION }),
      () => answer(400, {}, '<Error><Code>EntityTooLarge</Code></Error>'),
    );
    await expect(uploadFile(client, file(), { transfer: storage.transfer })).rejects.toMatchObject({
      kind: 'invalid',
      message: 'The file is larger than this deployment accepts.',
    });
  });

  it('moves no byte when the ticket is refused, and shows the server message', async () => {
    const { api: client, calls } = api({
      'POST /api/uploads': jsonResponse(413, {
        error: { kind: 'invalid', message: 'big.csv is 3 GiB, larger than this deployment accepts (at most 2 GiB)', field: 'size' },
      }),
    });
    const storage = fakeStorage();
    await expect(uploadFile(client, new File(['x'], 'big.csv'), { transfer: storage.transfer })).rejects.toMatchObject({
      status: 413,
      message: 'big.csv is 3 GiB, larger than this deployment accepts (at most 2 GiB)',
    });
    expect(calls).toHaveLength(1);
    expect(storage.transfer).not.toHaveBeenCalled();
  });
});
