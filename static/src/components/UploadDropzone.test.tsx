import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fakeFetch, jsonResponse } from '../test/fakeApi';
import { session } from '../test/fixtures';
import { renderApp } from '../test/render';
import { UploadDropzone } from './UploadDropzone';

const me = { 'GET /api/auth/me': { user: session().user, tenant: session().tenant } };

describe('UploadDropzone', () => {
  it('uploads a picked file to /api/files as multipart "file" and reports the object', async () => {
    const { fetch, calls } = fakeFetch({
      ...me,
      'POST /api/files': jsonResponse(202, { object: { bucket: 'drop', name: 'online_retail.csv', size: 8 } }),
    });
    const onUploaded = vi.fn();
    renderApp({ session: session(), fetch, children: <UploadDropzone onUploaded={onUploaded} /> });

    const file = new File(['a,b\n1,2\n'], 'online_retail.csv', { type: 'text/csv' });
    await userEvent.upload(screen.getByTestId('upload-input'), file);

    await waitFor(() => expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'done'));
    expect(screen.getByTestId('upload-status')).toHaveAttribute('data-object-name', 'online_retail.csv');
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/files')!;
    expect(post.headers.authorization).toBe('Bearer tok-123');
    expect((post.body as FormData).get('file')).toMatchObject({ name: 'online_retail.csv', size: 8 });
    expect(onUploaded).toHaveBeenCalledTimes(1);
    expect(onUploaded.mock.calls[0][0]).toEqual({ object: { bucket: 'drop', name: 'online_retail.csv', size: 8 } });
  });

  it('uploads dropped files', async () => {
    const { fetch, calls } = fakeFetch({
      ...me,
      'POST /api/files': jsonResponse(202, { object: { bucket: 'drop', name: 'x.csv.gz', size: 3 } }),
    });
    renderApp({ session: session(), fetch, children: <UploadDropzone /> });
    const file = new File(['abc'], 'x.csv.gz');
    fireEvent.drop(screen.getByTestId('upload-dropzone'), { dataTransfer: { files: [file] } });
    await waitFor(() => expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'done'));
    expect(calls.filter((c) => c.path === '/api/files')).toHaveLength(1);
  });

  it('shows the server message when the upload is refused', async () => {
    const { fetch } = fakeFetch({
      ...me,
      'POST /api/files': jsonResponse(415, { error: { kind: 'unsupported', message: 'xlsx files are not supported' } }),
    });
    const onUploaded = vi.fn();
    renderApp({ session: session(), fetch, children: <UploadDropzone onUploaded={onUploaded} /> });
    const user = userEvent.setup({ applyAccept: false });
    await user.upload(screen.getByTestId('upload-input'), new File(['x'], 'book.xlsx'));
    await waitFor(() => expect(screen.getByTestId('upload-status')).toHaveAttribute('data-state', 'error'));
    expect(screen.getByTestId('upload-status')).toHaveTextContent('xlsx files are not supported');
    expect(onUploaded).not.toHaveBeenCalled();
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
