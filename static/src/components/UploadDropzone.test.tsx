import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fakeFetch, jsonResponse } from '../test/fakeApi';
import { session } from '../test/fixtures';
import { renderApp } from '../test/render';
import type { TransferRequest } from '../lib/upload';
import { UploadDropzone, uploadPercent } from './UploadDropzone';

const me = { 'GET /api/auth/me': { user: session().user, tenant: session().tenant } };

/** The local platform's answer to POST /api/uploads: upload through the API. */
const direct = (name: string, size: number) =>
  jsonResponse(200, { mode: 'direct', method: 'POST', url: '/api/files', field: 'file', max_bytes: 2 << 30, object: { bucket: 'drop', name, size } });

describe('UploadDropzone', () => {
  it('uploads a picked file to /api/files as multipart "file" and reports the object', async () => {
    const { fetch, calls } = fakeFetch({
      ...me,
      'POST /api/uploads': direct('online_retail.csv', 8),
      'POST /api/files': jsonResponse(202, { object: { bucket: 'drop', name: 'online_retail.csv', size: 8 } }),
    });
    const onUploaded = vi.fn();
    renderApp({ session: session(), fetch, children: <UploadDropzone onUploaded={onUploaded} /> });

    const file = new File(['a,b\n1,2\n'], 'online_retail.csv', { type: 'text/csv' });
    await userEvent.upload(screen.getByTestId('upload-input'), file);

    await waitFor(() => expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'done'));
    expect(screen.getByTestId('upload-status')).toHaveAttribute('data-object-name', 'online_retail.csv');
    const ticket = calls.find((c) => c.method === 'POST' && c.path === '/api/uploads')!;
    expect(JSON.parse(String(ticket.body))).toEqual({ name: 'online_retail.csv', size: 8, content_type: 'text/csv' });
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/files')!;
    expect(post.headers.authorization).toBe('Bearer tok-123');
    expect((post.body as FormData).get('file')).toMatchObject({ name: 'online_retail.csv', size: 8 });
    expect(onUploaded).toHaveBeenCalledTimes(1);
    expect(onUploaded.mock.calls[0][0]).toEqual({ object: { bucket: 'drop', name: 'online_retail.csv', size: 8 } });
  });

  it('uploads dropped files', async () => {
    const { fetch, calls } = fakeFetch({
      ...me,
      'POST /api/uploads': direct('x.csv.gz', 3),
      'POST /api/files': jsonResponse(202, { object: { bucket: 'drop', name: 'x.csv.gz', size: 3 } }),
    });
    renderApp({ session: session(), fetch, children: <UploadDropzone /> });
    const file = new File(['abc'], 'x.csv.gz');
    fireEvent.drop(screen.getByTestId('upload-dropzone'), { dataTransfer: { files: [file] } });
    await waitFor(() => expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'done'));
    expect(calls.filter((c) => c.path === '/api/files')).toHaveLength(1);
  });

  it('shows the server message when the upload is refused', async () => {
    const { fetch, calls } = fakeFetch({
      ...me,
      'POST /api/uploads': jsonResponse(422, { error: { kind: 'unsupported', message: 'xlsx files are not supported', field: 'name' } }),
    });
    const onUploaded = vi.fn();
    renderApp({ session: session(), fetch, children: <UploadDropzone onUploaded={onUploaded} /> });
    const user = userEvent.setup({ applyAccept: false });
    await user.upload(screen.getByTestId('upload-input'), new File(['x'], 'book.xlsx'));
    await waitFor(() => expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'error'));
    expect(screen.getByTestId('upload-status')).toHaveTextContent('xlsx files are not supported');
    expect(onUploaded).not.toHaveBeenCalled();
    expect(calls.some((c) => c.path === '/api/files')).toBe(false);
  });

  it('in the cloud, uploads straight to storage with the signed ticket and shows the progress', async () => {
    const ticket = {
      mode: 'signed',
      resumable: true,
      method: 'POST',
      url: 'https://storage.googleapis.com/acme-drop/orders.csv?X-Goog-Signature=ab',
      headers: { 'content-type': 'text/csv', 'x-goog-resumable': 'start' },
      expires: '2026-12-08T10:15:00Z',
      max_bytes: 2 << 30,
      object: { bucket: 'acme-drop', name: 'orders.csv', size: 200 },
    };
    const { fetch, calls } = fakeFetch({ ...me, 'POST /api/uploads': jsonResponse(200, ticket) });
    let finish: () => void = () => {};
    const sent: TransferRequest[] = [];
    const transfer = vi.fn(async (req: TransferRequest) => {
      sent.push(req);
      if (req.method === 'POST') return { status: 201, header: (n: string) => (n === 'Location' ? 'https://storage.googleapis.com/s?upload_id=1' : null), text: '' };
      req.onProgress?.(50);
      await new Promise<void>((resolve) => (finish = resolve));
      req.onProgress?.(200);
      return { status: 200, header: () => null, text: '' };
    });
    const onUploaded = vi.fn();
    renderApp({ session: session(), fetch, children: <UploadDropzone onUploaded={onUploaded} transfer={transfer} /> });

    await userEvent.upload(screen.getByTestId('upload-input'), new File(['x'.repeat(200)], 'orders.csv', { type: 'text/csv' }));
    await waitFor(() => expect(screen.getByTestId('upload-progress')).toHaveAttribute('data-loaded', '50'));
    expect(screen.getByTestId('upload-status')).toHaveTextContent('25%');
    expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'uploading');

    finish();
    await waitFor(() => expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'done'));
    expect(screen.getByTestId('upload-status')).toHaveAttribute('data-object-name', 'orders.csv');
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${ticket.url}`, 'PUT https://storage.googleapis.com/s?upload_id=1']);
    expect(sent[0].headers).toEqual(ticket.headers);
    expect(calls.some((c) => c.path === '/api/files')).toBe(false);
    expect(onUploaded).toHaveBeenCalledTimes(1);
    expect(onUploaded.mock.calls[0][0]).toEqual({ object: { bucket: 'acme-drop', name: 'orders.csv', size: 200 } });
  });
});

describe('uploadPercent', () => {
  it('rounds down and shows 100 only when every byte is sent', () => {
    expect(uploadPercent({ size: 200, loaded: 0 })).toBe(0);
    expect(uploadPercent({ size: 200, loaded: 50 })).toBe(25);
    expect(uploadPercent({ size: 1000, loaded: 999 })).toBe(99);
    expect(uploadPercent({ size: 200, loaded: 200 })).toBe(100);
    expect(uploadPercent({ size: 0, loaded: 0 })).toBe(0);
  });
});

describe('runForUpload', () => {
  it('finds the run started by an uploaded object', async () => {
    const { runForUpload } = await import('./UploadDropzone');
    const { run } = await import('../test/fixtures');
    const t = Date.parse('2026-11-26T12:00:00Z');
    const runs = [
      run({ id: 'new', object: { bucket: 'b', name: 'acme/online_retail.csv', size: 1 }, created_at: '2026-11-26T12:00:02Z' }),
      run({ id: 'old', object: { bucket: 'b', name: 'online_retail.csv', size: 1 }, created_at: '2026-11-20T12:00:00Z' }),
    ];
    expect(runForUpload(runs, 'online_retail.csv', t)?.id).toBe('new');
    expect(runForUpload(runs.slice(1), 'online_retail.csv', t)).toBeUndefined();
    expect(runForUpload(runs, 'other.csv', t)).toBeUndefined();
    expect(runForUpload(undefined, 'online_retail.csv', t)).toBeUndefined();
  });
});
