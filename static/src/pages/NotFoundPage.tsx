import { Button } from '@mantine/core';
import { IconMapQuestion } from '@tabler/icons-react';
import { Link } from 'react-router';
import { Empty } from '../components/States';

export function NotFoundPage() {
  return (
    <Empty
      icon={IconMapQuestion}
      testId="not-found"
      title="Page not found"
      description="The address does not match any page of b2brecs."
      action={
        <Button component={Link} to="/etl" variant="light">
          Back to ETL
        </Button>
      }
    />
  );
}
