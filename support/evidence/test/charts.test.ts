import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeCloseMarks, timelineChart } from '../charts.ts';

test('chart labels: events close in time share one label, in order, without repeats', () => {
  const marks = [
    { at: 1000, label: 'Updated', kind: 'rollout' },
    { at: 9000, label: 'Promoted', kind: 'rollout' },
    { at: 9050, label: 'SwitchService', kind: 'rollout' },
    { at: 9100, label: 'SwitchService', kind: 'rollout' },
    { at: 9200, label: 'Completed', kind: 'rollout' },
  ];
  assert.deepEqual(
    mergeCloseMarks(marks, 10_000).map((m) => [m.at, m.label]),
    [
      [1000, 'Updated'],
      [9000, 'Promoted · SwitchService · Completed'],
    ],
  );
  assert.equal(marks[1]?.label, 'Promoted', 'the input is not changed');
});

test('the rollout timeline puts each event on its own row, labelled inside the chart', async () => {
  const marks = ['Updated', 'Paused', 'Promoted', 'SwitchService', 'Completed'].map((label, i) => ({ at: 1000 + i * 10, label, kind: 'rollout tinyurl' }));
  const svg = await timelineChart('Rollout timeline', marks, 0);
  for (const label of ['Updated', 'Paused', 'Promoted', 'SwitchService', 'Completed']) assert.ok(svg.includes(`>${label}<`), `${label} is drawn`);
  assert.match(svg, /^<svg/);
});
