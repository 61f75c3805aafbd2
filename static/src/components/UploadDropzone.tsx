import { Alert, Anchor, Badge, Group, Loader, Progress, Stack, Text, ThemeIcon } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconCloudUpload, IconFileSpreadsheet, IconX } from '@tabler/icons-react';
import { useCallback, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { errorMessage } from '../api/client';
import { useUploadFile } from '../api/queries';
import { Link } from 'react-router';
import type { Run, UploadResponse } from '../api/types';
import { formatBytes, formatCount } from '../lib/format';
import { isActive, statusMeta } from '../lib/runs';
import type { Transfer } from '../lib/upload';

export const ACCEPTED_FILES = '.csv,.gz,.csv.gz,.tsv,.json,.jsonl,.ndjson,.parquet';

interface UploadItem {
  key: number;
  name: string;
  size: number;
  state: 'uploading' | 'done' | 'error';
  /** Bytes sent so far, while uploading. */
  loaded?: number;
  objectName?: string;
  error?: string;
  uploadedAt?: number;
}

export interface UploadDropzoneProps {
  /** Called after each successful upload (the server then starts a run by itself). */
  onUploaded?: (res: UploadResponse, file: File) => void;
  /** Recent runs, to show the run each uploaded file started. */
  runs?: Run[];
  /** How bytes go to storage in the cloud (tests pass a fake; default XMLHttpRequest). */
  transfer?: Transfer;
}

/** The run an upload started: the newest run of that object created after the upload began. */
export function runForUpload(runs: Run[] | undefined, objectName: string | undefined, uploadedAt: number): Run | undefined {
  if (!runs || !objectName) return undefined;
  return runs.find((r) => {
    const name = r.object?.name ?? '';
    const same = name === objectName || name.endsWith('/' + objectName);
    // Allow for clock skew between browser and server.
    return same && Date.parse(r.created_at) >= uploadedAt - 120_000;
  });
}

/**
 * Drag-and-drop zone plus file picker. Each file is uploaded as the deployment's upload ticket says
 * (lib/upload.ts): through the API locally, straight to storage in the cloud, with progress.
 */
export function UploadDropzone({ onUploaded, runs, transfer }: UploadDropzoneProps) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [items, setItems] = useState<UploadItem[]>([]);
  const nextKey = useRef(1);
  const upload = useUploadFile();
  const busy = items.some((i) => i.state === 'uploading');

  const update = (key: number, patch: Partial<UploadItem>) =>
    setItems((prev) => prev.map((i) => (i.key === key ? { ...i, ...patch } : i)));

  const handleFiles = useCallback(
    async (files: FileList | File[] | null) => {
      const list = files ? Array.from(files) : [];
      for (const file of list) {
        const key = nextKey.current++;
        const uploadedAt = Date.now();
        setItems((prev) => [{ key, name: file.name, size: file.size, state: 'uploading' as const, uploadedAt }, ...prev].slice(0, 5));
        try {
          const res = await upload.mutateAsync({ file, transfer, onProgress: (p) => update(key, { loaded: p.loaded }) });
          update(key, { state: 'done', objectName: res.object.name });
          notifications.show({
            color: 'teal',
            title: 'File uploaded',
            message: `${file.name} is in the drop area; a load run starts by itself.`,
          });
          onUploaded?.(res, file);
        } catch (e) {
          const msg = errorMessage(e);
          update(key, { state: 'error', error: msg });
          notifications.show({ color: 'red', title: `Upload of ${file.name} failed`, message: msg });
        }
      }
    },
    [upload.mutateAsync, onUploaded, transfer],
  );

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (busy) return;
    void handleFiles(e.dataTransfer?.files ?? null);
  };

  const open = () => {
    if (!busy) inputRef.current?.click();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open();
    }
  };

  return (
    <Stack gap="sm">
      <div
        className="dropzone"
        role="button"
        tabIndex={0}
        aria-label="Upload a file: drop it here or press Enter to choose one"
        aria-disabled={busy}
        data-active={dragging}
        data-disabled={busy}
        data-testid="upload-dropzone"
        onClick={open}
        onKeyDown={onKeyDown}
        onDragEnter={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(e) => {
          if (e.currentTarget.contains(e.relatedTarget as Node | null)) return;
          setDragging(false);
        }}
        onDrop={onDrop}
      >
        <Group justify="center" gap="lg" py="lg" px="md" wrap="nowrap">
          <ThemeIcon size={48} radius="xl" variant="light">
            {busy ? <Loader size={22} /> : <IconCloudUpload size={26} stroke={1.6} />}
          </ThemeIcon>
          <Stack gap={2}>
            <Text fw={600}>{dragging ? 'Drop to upload' : busy ? 'Uploading…' : 'Drop a file here or click to browse'}</Text>
            <Text size="sm" c="dimmed">
              CSV, JSON Lines or Parquet, optionally gzip-compressed. A load job is created for new file names.
            </Text>
          </Stack>
        </Group>
        <input
          ref={inputRef}
          type="file"
          multiple
          accept={ACCEPTED_FILES}
          hidden
          data-testid="upload-input"
          onChange={(e) => {
            const files = e.currentTarget.files ? Array.from(e.currentTarget.files) : [];
            e.currentTarget.value = '';
            void handleFiles(files);
          }}
        />
      </div>

      {items.length > 0 && (
        <Stack gap={6} data-testid="upload-list">
          {items.map((i) =>
            i.state === 'error' ? (
              <Alert
                key={i.key}
                color="red"
                variant="light"
                icon={<IconX size={16} />}
                title={`${i.name} was not uploaded`}
                data-testid="upload-status"
                data-state="error"
                py="xs"
              >
                {i.error}
              </Alert>
            ) : (
              <Group
                key={i.key}
                gap="sm"
                wrap="nowrap"
                data-testid="upload-status"
                data-state={i.state}
                data-object-name={i.objectName ?? ''}
                px="sm"
                py={6}
                style={{ border: '1px solid var(--app-border)', borderRadius: 'var(--mantine-radius-md)', background: '#fff' }}
              >
                <IconFileSpreadsheet size={18} stroke={1.6} color="var(--mantine-color-gray-6)" />
                <Text size="sm" fw={500} truncate style={{ flex: 1 }}>
                  {i.name}
                </Text>
                <Text size="xs" c="dimmed" className="tabular">
                  {formatBytes(i.size)}
                </Text>
                {i.state === 'uploading' ? (
                  <>
                    <Progress
                      value={i.loaded ? uploadPercent(i) : 100}
                      w={80}
                      size="sm"
                      striped={!i.loaded}
                      animated={!i.loaded}
                      aria-label={`Upload of ${i.name}`}
                      data-testid="upload-progress"
                      data-loaded={i.loaded ?? 0}
                    />
                    <Badge color="blue" leftSection={<Loader size={10} color="blue" />} className="tabular">
                      {i.loaded ? `${uploadPercent(i)}%` : 'Uploading'}
                    </Badge>
                  </>
                ) : (
                  <UploadRunBadge run={runForUpload(runs, i.objectName, i.uploadedAt ?? 0)} />
                )}
              </Group>
            ),
          )}
        </Stack>
      )}
    </Stack>
  );
}

/** Percent of an upload sent (whole numbers, 100 only when every byte is). */
export function uploadPercent(i: { loaded?: number; size: number }): number {
  if (!i.loaded || i.size <= 0) return 0;
  if (i.loaded >= i.size) return 100;
  return Math.min(99, Math.floor((i.loaded / i.size) * 100));
}

function UploadRunBadge({ run }: { run: Run | undefined }) {
  if (!run) {
    return (
      <Badge color="teal" leftSection={<IconCheck size={12} />} data-testid="upload-run-status" data-status="">
        Uploaded · run starting
      </Badge>
    );
  }
  const meta = statusMeta(run.status);
  return (
    <Anchor component={Link} to={`/etl/runs/${encodeURIComponent(run.id)}`} underline="never" onClick={(e) => e.stopPropagation()}>
      <Badge
        color={meta.color}
        leftSection={isActive(run) ? <Loader size={10} color={meta.color} /> : <IconCheck size={12} />}
        data-testid="upload-run-status"
        data-status={run.status}
        style={{ cursor: 'pointer' }}
      >
        Run {meta.label.toLowerCase()}
        {run.rows_loaded > 0 ? ` · ${formatCount(run.rows_loaded)} rows` : ''}
      </Badge>
    </Anchor>
  );
}
