import t from 'tap';
import { ConfigError, loadConfig } from '../../app/config.js';

t.test('sentiment settings: defaults, flags, variables', async (t) => {
  const d = loadConfig([], {});
  t.equal(d.sentimentModel, 'linear', 'the linear tier by default: it meets its targets');
  t.equal(d.sentimentLanguageCheck, true);
  t.equal(d.sentimentTransformerSelect, 'uncertain:0.6,reach:10000');
  const c = loadConfig(
    [
      '--sentiment-model',
      'transformer',
      '--sentiment-transformer-dir',
      '/models/x',
      '--no-sentiment-language-check',
    ],
    { PW_SENTIMENT_TRANSFORMER_BUDGET: '12.5', PW_SENTIMENT_TRANSFORMER_LABELS: 'LABEL_0=negative' },
  );
  t.match(c, {
    sentimentModel: 'transformer',
    sentimentTransformerDir: '/models/x',
    sentimentLanguageCheck: false,
    sentimentTransformerBudget: 12.5,
    sentimentTransformerLabels: 'LABEL_0=negative',
  });
});

t.test('bad sentiment settings name the flag and the variable', async (t) => {
  const bad: [string, string][] = [
    ['--sentiment-model', 'bert'],
    ['--sentiment-transformer-select', 'sometimes'],
    ['--sentiment-transformer-labels', 'joy=happy'],
    ['--sentiment-transformer-budget', '-1'],
    ['--sentiment-transformer-workers', '0'],
  ];
  for (const [flag, value] of bad) {
    t.throws(() => loadConfig([flag, value], {}), ConfigError, `${flag} ${value}`);
    t.throws(() => loadConfig([flag, value], {}), { message: new RegExp(flag) });
  }
});
