import {
  IconBrain,
  IconChartDots3,
  IconDatabase,
  IconFlask,
  IconPlugConnected,
  IconRocket,
  IconTable,
  IconTransfer,
  IconVectorTriangle,
  type Icon,
} from '@tabler/icons-react';

export interface Area {
  key: string;
  label: string;
  path: string;
  icon: Icon;
  /** Built areas have real screens; the others show a "coming next" page. */
  ready: boolean;
  summary: string;
  plans: string[];
}

// The product's areas in the order a user meets them: bring data in, shape it, model it, serve it.
export const AREAS: Area[] = [
  {
    key: 'connections',
    label: 'Connections',
    path: '/connections',
    icon: IconPlugConnected,
    ready: true,
    summary: 'Connect the systems your order history lives in.',
    plans: [
      'Databases (PostgreSQL, MySQL, BigQuery) and storage buckets (GCS, S3, Azure Blob)',
      'Credentials kept in the secret store, never shown again after saving',
      'Test a connection and browse its schemas, tables and files',
    ],
  },
  {
    key: 'etl',
    label: 'ETL',
    path: '/etl',
    icon: IconTransfer,
    ready: true,
    summary: 'Load files and tables into the warehouse.',
    plans: [],
  },
  {
    key: 'datasets',
    label: 'Datasets',
    path: '/datasets',
    icon: IconDatabase,
    ready: true,
    summary: 'Shape loaded tables into a training dataset.',
    plans: [],
  },
  {
    key: 'features',
    label: 'Features',
    path: '/features',
    icon: IconVectorTriangle,
    ready: false,
    summary: 'Describe what the model learns from.',
    plans: [
      'Customer and product features: categories, numbers, text, time',
      'Transformations such as bucketing, hashing and embeddings',
      'A preview of the feature rows the trainer will read',
    ],
  },
  {
    key: 'models',
    label: 'Models',
    path: '/models',
    icon: IconBrain,
    ready: false,
    summary: 'Configure the recommendation models.',
    plans: [
      'Two-tower retrieval models with tower sizes and embedding widths',
      'Ranking settings and business rules',
      'Versioned configurations you can compare and roll back',
    ],
  },
  {
    key: 'experiments',
    label: 'Experiments',
    path: '/experiments',
    icon: IconFlask,
    ready: false,
    summary: 'Compare model variants on the same data.',
    plans: [
      'Side-by-side recall@k, precision and coverage of each variant',
      'Hold-out splits by time so results match what production will see',
      'Promote the best variant to training with one click',
    ],
  },
  {
    key: 'training',
    label: 'Training',
    path: '/training',
    icon: IconChartDots3,
    ready: false,
    summary: 'Train models on a schedule or on demand.',
    plans: [
      'Training runs with live progress, logs and metrics',
      'Schedules that retrain when new orders arrive',
      'Artifacts kept with the data and code version that produced them',
    ],
  },
  {
    key: 'endpoints',
    label: 'Endpoints',
    path: '/endpoints',
    icon: IconRocket,
    ready: false,
    summary: 'Serve recommendations to your shop and sales tools.',
    plans: [
      'Deploy a trained model behind a versioned HTTPS endpoint',
      'API keys per client, with usage and latency charts',
      'Canary releases and instant rollback',
    ],
  },
];

export const ETL_SECTIONS = [
  { key: 'runs', label: 'Runs', path: '/etl' },
  { key: 'dashboard', label: 'Dashboard', path: '/etl/dashboard' },
  { key: 'jobs', label: 'Jobs', path: '/etl/jobs' },
  { key: 'tables', label: 'Tables', path: '/etl/tables', icon: IconTable },
] as const;
