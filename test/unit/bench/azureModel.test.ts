import {
  azureLifecycle,
  batchPartsRu,
  parseStepCounts,
  sizeFactor,
  STORAGE_TRANSACTIONS,
} from '../../support/azureCost';

const RU = { read: 1, create: 7, replace: 10, delete: 5 };

describe('the Azure model of a lifecycle', () => {
  const shape = { episodes: 9, activities: 7, episodesPerDecision: 3, activitiesPerDecision: 2, timers: 1 };

  it('counts an execution per command, episode and activity, and adds a decision’s cost per further approval', () => {
    expect(azureLifecycle(shape, 1)).toEqual({
      approvals: 1,
      commands: 3,
      episodes: 9,
      activities: 7,
      executions: 19,
      storageTransactions: 2 + 2 * 2 + 5 * 9 + 4 * 7 + 1,
    });
    const two = azureLifecycle(shape, 2);
    expect([two.commands, two.episodes, two.activities, two.executions]).toEqual([4, 12, 9, 25]);
    expect(two.storageTransactions - azureLifecycle(shape, 1).storageTransactions).toBe(
      STORAGE_TRANSACTIONS.event + 3 * STORAGE_TRANSACTIONS.episode + 2 * STORAGE_TRANSACTIONS.activity,
    );
  });

  it('meets the bars for the shape of one activity per step (6 episodes, 3 activities), and not for today’s', () => {
    const reshaped = azureLifecycle({ ...shape, episodes: 6, activities: 3 }, 1);
    expect(reshaped.executions).toBeLessThanOrEqual(12);
    expect(reshaped.storageTransactions).toBeLessThanOrEqual(55);
    expect(azureLifecycle(shape, 1).executions).toBeGreaterThan(12);
  });

  it('reads the lifecycle line stepCounts prints, and nothing from other output', () => {
    const output =
      'lifecycle (submit to execution recorded), median of 5: 9 episodes, 7 activities (recordStep 4), 37 history events, 23.9 KB\n' +
      'device follow-up and end (counted apart), median of 5: 4 episodes, 2 activities (observeExecution 1), 16 history events, 6.6 KB\n';
    expect(parseStepCounts(output)).toEqual({ episodes: 9, activities: 7 });
    expect(parseStepCounts('Error: the runtime did not start')).toBeUndefined();
  });
});

describe('the modelled request charge', () => {
  it('charges 1 KB items the 1 KB figures, and larger ones by the documented size table', () => {
    expect(sizeFactor(500, 2)).toBe(1);
    expect(sizeFactor(2048, 2)).toBeCloseTo(6.29 / 4.95, 5);
    expect(sizeFactor(3072, 2)).toBeCloseTo((6.29 + 6.67) / 2 / 4.95, 5);
    expect(sizeFactor(4096, 1)).toBeCloseTo(1.14, 5);
    expect(sizeFactor(256 * 1024, 2)).toBeCloseTo((48.19 * 2) / 4.95, 5);
  });

  it('charges a batch the sum of its parts: a read 1 RU, a create by its item’s size', () => {
    const step = [
      { operationType: 'Read', bytes: 0 },
      { operationType: 'Create', bytes: 3072 },
    ];
    expect(batchPartsRu(step, RU)).toBeCloseTo(1 + 7 * sizeFactor(3072, 2), 5);
    expect(batchPartsRu([{ operationType: 'Delete', bytes: 0 }], RU)).toBe(5);
    // Three records written one item each cost more than twice the same records as one item.
    const perRecord = batchPartsRu(
      [1, 2, 3].map(() => ({ operationType: 'Create', bytes: 1024 })),
      RU,
    );
    expect(batchPartsRu(step, RU)).toBeLessThan(perRecord / 2);
  });
});
