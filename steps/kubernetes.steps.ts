// The kubernetes platform seen from the cluster: the API server answers, Argo
// Rollouts' CRDs are established, and each scenario's objects live in a
// namespace made for it. These steps need the kubernetes profile.
import { Then } from '@cucumber/cucumber';
import { kubectlReach } from '../support/platform/kubernetes/kubectl.ts';
import { asKubernetes, LABEL_RUN, type KubernetesPlatform } from '../support/platform/kubernetes/platform.ts';
import type { CutoverWorld } from '../support/world/world.ts';

function kubernetes(world: CutoverWorld): KubernetesPlatform {
  return asKubernetes(world.session.platform);
}

/** The API server answers (its version attached) and every Argo Rollouts CRD is Established. */
Then("the cluster answers, with Argo Rollouts' CRDs established", async function (this: CutoverWorld) {
  const info = await kubernetes(this).clusterInfo();
  const missing = info.crds.filter((c) => !c.established);
  await this.evidence.verify('cluster and Argo Rollouts CRDs', missing.length === 0, { expected: 'every Argo Rollouts CRD Established', measured: info }, () =>
    `not established on ${info.server}: ${missing.map((c) => c.name).join(', ')}`,
  );
});

/** kubectl on PATH, through KUBECONFIG's current context, reaches the API server this run talks to, and it answers /readyz. */
Then("kubectl's current context reaches the cluster this run uses", async function (this: CutoverWorld) {
  const info = await kubernetes(this).clusterInfo();
  const reach = kubectlReach();
  this.progress(`kubectl ${reach.clientVersion}, context ${reach.context} -> ${reach.server} (${reach.serverVersion}), readyz ${reach.readyz}`);
  const ok = reach.context !== '' && reach.server === info.server && reach.serverVersion === info.version && reach.readyz === 'ok';
  await this.evidence.verify("kubectl's context reaches the cluster", ok, { expected: { server: info.server, version: info.version, readyz: 'ok' }, measured: reach }, () =>
    `context "${reach.context}" leads to ${reach.server} (${reach.serverVersion}), readyz "${reach.readyz}"; the run uses ${info.server} (${info.version})`,
  );
});

/** Every pod of the rollout is in the scenario's own namespace, which carries the run's label (removed with it at the end). */
Then('the rollout {string} runs in a namespace of its own, made for this scenario', async function (this: CutoverWorld, rollout: string) {
  const platform = kubernetes(this);
  const pods = platform.pods().filter((p) => p.rollout === rollout);
  const labels = await platform.namespaceLabels();
  const elsewhere = pods.filter((p) => p.namespace !== platform.namespace);
  const ok = pods.length > 0 && elsewhere.length === 0 && labels?.[LABEL_RUN] === platform.namespace;
  await this.evidence.verify(`rollout ${rollout} in its own namespace`, ok, { expected: `pods in ${platform.namespace}, labelled ${LABEL_RUN}`, measured: { labels, pods: pods.map((p) => `${p.namespace}/${p.name}`) } }, () =>
    pods.length === 0 ? `rollout ${rollout} has no pods` : labels === undefined ? `namespace ${platform.namespace} does not exist` : `pods elsewhere: ${elsewhere.map((p) => p.namespace).join(', ') || 'none'}; namespace labels ${JSON.stringify(labels)}`,
  );
});

/** Waits until every pod of the rollout, terminating ones included, runs the image (the old ones are gone). */
Then('every pod of rollout {string} runs {image} within {duration}', async function (this: CutoverWorld, rollout: string, image: string, ms: number) {
  const platform = kubernetes(this);
  const others = () => platform.pods().filter((p) => p.rollout === rollout && p.image !== image);
  const started = Date.now();
  while (others().length > 0 && Date.now() - started < ms) await platform.nextChange(Math.min(1000, ms));
  const left = others();
  await this.evidence.verify(`pods of ${rollout} run ${image}`, left.length === 0, { expected: `every pod on ${image} within ${ms} ms`, measured: { afterMs: Date.now() - started, others: left.map((p) => `${p.name} ${p.image}`) } }, () =>
    `after ${ms} ms, pods of ${rollout} still run another image: ${left.map((p) => `${p.name} (${p.image})`).join(', ')}`,
  );
});
