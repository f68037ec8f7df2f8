// RSS feeds a scenario serves and publishes to, for the Newsfeed to poll.
import { Given, Then, When } from '@cucumber/cucumber';
import { RssFeedServer } from '../support/fixtures/rss-feed.ts';
import type { CutoverWorld } from '../support/world/world.ts';

function feedNamed(world: CutoverWorld, name: string): RssFeedServer {
  const feed = world.feeds.get(name);
  if (feed === undefined) throw new Error(`no feed "${name}" is served in this scenario (${world.feeds.size > 0 ? `only ${[...world.feeds.keys()].join(', ')}` : 'none is'}): start it with 'an RSS feed with N articles is served as "${name}"'`);
  return feed;
}

/** An RSS 2.0 feed on 127.0.0.1 with this many articles; its URL is remembered under the name (use it as {name}). Stopped at the end of the scenario. */
Given('an RSS feed with {int} articles is served as {string}', async function (this: CutoverWorld, count: number, name: string) {
  if (this.feeds.has(name)) throw new Error(`a feed "${name}" is already served in this scenario`);
  const feed = await RssFeedServer.start(name, count);
  this.feeds.set(name, feed);
  this.remembered.set(name, feed.url);
  this.session.onCleanup(`feed ${name}`, () => feed.close());
});

/** New articles at the top of the feed; the next poll of the feed sees them. */
When('the feed {string} publishes {int} new article(s)', function (this: CutoverWorld, name: string, count: number) {
  this.lastPublished = feedNamed(this, name).publish(count);
});

/** The subscriber got each article just published, once, and no other article. */
Then('the subscriber is pushed exactly the new articles of {string} within {duration}', async function (this: CutoverWorld, name: string, ms: number) {
  const published = this.lastPublished ?? [];
  if (published.length === 0) throw new Error(`nothing was published to feed "${name}" in this scenario`);
  const live = this.subscriber;
  if (live === undefined) throw new Error('no client subscribed in this scenario yet ("a client subscribes to … of …")');
  const titleOf = (data: unknown) => (data !== null && typeof data === 'object' && (data as { type?: unknown }).type === 'article' ? String((data as { article?: { title?: unknown } }).article?.title) : undefined);
  const wanted = new Set(published.map((a) => a.title));
  let waitError: Error | undefined;
  try {
    await live.waitFor((d) => wanted.has(titleOf(d) ?? ''), wanted.size, ms);
  } catch (err) {
    waitError = err as Error;
  }
  const pushed = live.messages.map((m) => titleOf(m.data)).filter((t): t is string => t !== undefined);
  await this.evidence.json(`messages pushed to ${live.url}`, live.messages);
  const missing = [...wanted].filter((t) => !pushed.includes(t));
  const twice = pushed.filter((t, i) => pushed.indexOf(t) !== i);
  const others = pushed.filter((t) => !wanted.has(t));
  const ok = waitError === undefined && missing.length === 0 && twice.length === 0 && others.length === 0;
  await this.evidence.verify(`the ${wanted.size} new articles of ${name} pushed once each within ${ms} ms`, ok, { expected: [...wanted], measured: pushed }, () =>
    [missing.length > 0 ? `not pushed: ${missing.join(', ')}` : '', twice.length > 0 ? `pushed more than once: ${twice.join(', ')}` : '', others.length > 0 ? `other articles pushed: ${others.join(', ')}` : '', waitError?.message ?? '']
      .filter((x) => x !== '')
      .join('; '),
  );
});
