// Domain parameter types: steps read as sentences, and a bad value fails
// with the accepted forms. The regular expressions are deliberately loose so
// that a mistyped value reaches the parser and gets that message, instead of
// leaving the step undefined.
import { defineParameterType } from '@cucumber/cucumber';
import { parseThreshold, type Threshold } from '../slo/threshold.ts';
import { parseWindowPhrase, WINDOW_PHRASES } from '../slo/windows.ts';
import { parseHumanDuration, parseImage, parseNumberList, parseObjectName, parsePercent, parseRate } from '../vocabulary/parse.ts';

defineParameterType({
  name: 'duration',
  // "2 minutes", "1 minute and 30 seconds", "30s", "1h30m"
  regexp: /\d+(?:\.\d+)?\s*[a-zµ]+(?:(?:\s+and)?\s+\d+(?:\.\d+)?\s*[a-z]+)*/,
  transformer: (text: string): number => parseHumanDuration(text),
});

defineParameterType({
  name: 'percent',
  regexp: /\d+(?:\.\d+)?\s*(?:%|percent)/,
  transformer: (text: string): number => parsePercent(text),
});

defineParameterType({
  name: 'rate',
  regexp: /\d+(?:\.\d+)?\s*(?:requests?\s+per\s+[a-z]+|req\/[a-z]+)/,
  transformer: (text: string): number => parseRate(text),
});

defineParameterType({
  name: 'threshold',
  // k6 syntax, quoted: "http_req_duration: p(95)<50"
  regexp: /"([^"]*:[^"]*)"/,
  transformer: (text: string): Threshold => parseThreshold(text),
});

defineParameterType({
  name: 'rollout',
  regexp: /rollout "([^"]*)"/,
  transformer: (text: string): string => parseObjectName('rollout', text),
});

defineParameterType({
  name: 'image',
  regexp: /"([^"]*[:/][^"]*)"/,
  transformer: (text: string): string => parseImage(text),
});

defineParameterType({
  name: 'window',
  regexp: new RegExp(`(${[...WINDOW_PHRASES, 'during [a-z ]+?', 'after the [a-z]+', 'before the [a-z]+'].join('|')})`),
  transformer: (text: string) => parseWindowPhrase(text),
});

defineParameterType({
  name: 'numbers',
  regexp: /\d+(?:\.\d+)?(?:\s*(?:,|and)\s*\d+(?:\.\d+)?)*/,
  transformer: (text: string): number[] => parseNumberList(text),
});
