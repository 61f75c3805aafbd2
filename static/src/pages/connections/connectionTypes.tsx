import { Badge, Group, ThemeIcon } from '@mantine/core';
import {
  IconBrandAws,
  IconBrandAzure,
  IconBrandFirebase,
  IconBrandGoogle,
  IconBrandGoogleBigQuery,
  IconBrandMysql,
  IconDatabase,
  type Icon,
} from '@tabler/icons-react';
import type { Connection, ConnectionFields, ConnectionType, SecretField } from '../../api/types';

export type TextField = Exclude<keyof ConnectionFields, 'type' | 'port'> | 'port';

export interface FieldSpec {
  key: TextField;
  label: string;
  placeholder?: string;
  description?: string;
  required?: boolean;
  mono?: boolean;
  /** Select options instead of a text input. */
  options?: string[];
}

export interface SecretSpec {
  key: SecretField;
  label: string;
  description?: string;
  multiline?: boolean;
}

export interface TypeSpec {
  type: ConnectionType;
  label: string;
  kind: 'database' | 'bucket' | 'warehouse';
  icon: Icon;
  color: string;
  blurb: string;
  fields: FieldSpec[];
  secrets: SecretSpec[];
  /** What the user must know before saving one (shown on the form and the connection's page). */
  notice?: string;
  /** How browsing names what it lists (databases: schema, tables, rows). */
  words?: BrowseWords;
}

export interface BrowseWords {
  schema: string;
  tables: string;
  rows: string;
}

export const DATABASE_WORDS: BrowseWords = { schema: 'Schema', tables: 'Tables', rows: 'rows' };

const googleKey = (role: string): SecretSpec => ({
  key: 'service_account_json',
  label: 'Service account key (JSON)',
  description: `Required (the platform's own credentials are never used here): a key with ${role}`,
  multiline: true,
});

const emulator: FieldSpec = {
  key: 'endpoint',
  label: 'Endpoint',
  placeholder: 'http://HOST:PORT',
  description: 'Only for an emulator or test server (then no key)',
  mono: true,
};

const SSL_MODES = ['', 'disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

const db = (type: ConnectionType, label: string, icon: Icon, color: string, port: number): TypeSpec => ({
  type,
  label,
  kind: 'database',
  icon,
  color,
  blurb: `Tables of a ${label} database`,
  fields: [
    { key: 'host', label: 'Host', placeholder: 'db.example.com', required: true, mono: true },
    { key: 'port', label: 'Port', placeholder: String(port), mono: true },
    { key: 'database', label: 'Database', required: true, mono: true },
    { key: 'schema', label: 'Schema', placeholder: type === 'postgresql' ? 'public' : 'the database', mono: true },
    { key: 'username', label: 'User name', required: true, mono: true },
    { key: 'sslmode', label: 'SSL mode', options: SSL_MODES, description: 'Empty: the driver default' },
  ],
  secrets: [{ key: 'password', label: 'Password' }],
});

export const TYPE_SPECS: TypeSpec[] = [
  db('postgresql', 'PostgreSQL', IconDatabase, 'blue', 5432),
  db('mysql', 'MySQL', IconBrandMysql, 'orange', 3306),
  db('mariadb', 'MariaDB', IconBrandMysql, 'teal', 3306),
  {
    type: 'gcs',
    label: 'Google Cloud Storage',
    kind: 'bucket',
    icon: IconBrandGoogle,
    color: 'red',
    blurb: 'Files in a GCS bucket',
    fields: [
      { key: 'bucket_url', label: 'Bucket URL', placeholder: 'gs://my-bucket', required: true, mono: true },
      { key: 'prefix', label: 'Folder (prefix)', placeholder: 'exports/orders/', mono: true },
    ],
    secrets: [
      {
        key: 'service_account_json',
        label: 'Service account key (JSON)',
        description: "Optional: without it the platform's own credentials are used",
        multiline: true,
      },
    ],
  },
  {
    type: 's3',
    label: 'Amazon S3',
    kind: 'bucket',
    icon: IconBrandAws,
    color: 'yellow',
    blurb: 'Files in an S3 or S3-compatible bucket',
    fields: [
      { key: 'bucket_url', label: 'Bucket URL', placeholder: 's3://my-bucket', required: true, mono: true },
      { key: 'prefix', label: 'Folder (prefix)', placeholder: 'exports/orders/', mono: true },
      { key: 'region', label: 'Region', placeholder: 'us-east-1', mono: true },
      { key: 'access_key_id', label: 'Access key ID', description: 'With the secret key, or neither for a public bucket', mono: true },
      { key: 'endpoint', label: 'Endpoint', placeholder: 'https://minio.example.com', description: 'Only for S3-compatible servers', mono: true },
    ],
    secrets: [{ key: 'aws_secret_access_key', label: 'Secret access key' }],
  },
  {
    type: 'azure_blob',
    label: 'Azure Blob Storage',
    kind: 'bucket',
    icon: IconBrandAzure,
    color: 'cyan',
    blurb: 'Files in an Azure Blob container',
    fields: [
      { key: 'bucket_url', label: 'Container URL', placeholder: 'azblob://container', required: true, mono: true },
      { key: 'prefix', label: 'Folder (prefix)', placeholder: 'exports/orders/', mono: true },
      { key: 'account', label: 'Storage account', required: true, mono: true },
      { key: 'endpoint', label: 'Endpoint', description: 'Only for Azurite or sovereign clouds', mono: true },
    ],
    secrets: [
      { key: 'azure_account_key', label: 'Account key', description: 'Or a SAS token' },
      { key: 'azure_sas_token', label: 'SAS token' },
    ],
  },
  {
    type: 'bigquery',
    label: 'BigQuery',
    kind: 'warehouse',
    icon: IconBrandGoogleBigQuery,
    color: 'indigo',
    blurb: 'Tables of a BigQuery dataset',
    fields: [
      { key: 'project', label: 'Billing project', placeholder: 'my-company-prod', description: 'Your project: queries run and are billed here', required: true, mono: true },
      {
        key: 'data_project',
        label: 'Data project',
        placeholder: 'bigquery-public-data',
        description: "The project whose datasets are read; empty: the billing project",
        mono: true,
      },
      { key: 'dataset', label: 'Default dataset', mono: true },
      emulator,
    ],
    secrets: [googleKey('BigQuery Job User on the billing project and BigQuery Data Viewer on the data')],
    notice:
      'BigQuery queries run, and are billed, in the billing project (yours); they read the tables of the data project, which may be another project or a public dataset such as bigquery-public-data.',
    words: { schema: 'Dataset', tables: 'Tables', rows: 'rows' },
  },
  {
    type: 'firestore',
    label: 'Firestore',
    kind: 'warehouse',
    icon: IconBrandFirebase,
    color: 'orange',
    blurb: 'Collections of a Firestore database',
    fields: [
      { key: 'project', label: 'Project', placeholder: 'my-company-prod', required: true, mono: true },
      { key: 'database', label: 'Database', placeholder: '(default)', description: 'The database id; empty: (default)', mono: true },
      emulator,
    ],
    secrets: [googleKey('the role Cloud Datastore Viewer on the project')],
    notice:
      'Collections are read as tables: a column per field found in a sample of documents, nested maps and arrays as JSON, with the document id and update time.',
    words: { schema: 'Database', tables: 'Collections', rows: 'documents' },
  },
];

export function typeSpec(t: string): TypeSpec {
  return TYPE_SPECS.find((s) => s.type === t) ?? { ...TYPE_SPECS[0], type: t as ConnectionType, label: t, fields: [], secrets: [] };
}

export function TypeBadge({ type }: { type: string }) {
  const s = typeSpec(type);
  const I = s.icon;
  return (
    <Group gap={6} wrap="nowrap" data-testid="connection-type" data-type={type}>
      <ThemeIcon size="sm" variant="light" color={s.color} radius="sm">
        <I size={14} />
      </ThemeIcon>
      <Badge variant="light" color={s.color} size="sm" tt="none">
        {s.label}
      </Badge>
    </Group>
  );
}

/** "db.example.com:5432/shop", "s3://bucket/prefix/", "project.dataset". */
export function locationOf(c: Connection): string {
  const s = typeSpec(c.type);
  if (s.kind === 'database') return `${c.host ?? ''}${c.port ? `:${c.port}` : ''}${c.database ? `/${c.database}` : ''}`;
  if (s.kind === 'bucket') {
    const base = (c.bucket_url ?? '').replace(/\/+$/, '');
    return c.prefix ? `${base}/${c.prefix.replace(/^\/+/, '')}` : base;
  }
  if (c.type === 'firestore') return `${c.project ?? ''}/${c.database || '(default)'}`;
  return [c.data_project || c.project, c.dataset].filter(Boolean).join('.');
}
