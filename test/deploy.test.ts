// The deployment files (deploy/), checked offline since no Kubernetes cluster runs here: every
// manifest parses and validates against the Kubernetes API schemas (kubernetes-models), the
// kustomization lists exactly the manifests, the ConfigMap's config passes recur's own config
// schema, the commands in the pods use only flags that `recur` has, the Service, the container
// port, the config's listen address and the workers' coordinator URL agree, the probe command
// passes against a real coordinator with the token and fails without it, and the container build
// uses the workspace's pinned pnpm and the CLI's bin.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, parseConfig } from '@recur/cli';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import t from 'tap';
import { parseAllDocuments } from 'yaml';

const root = join(import.meta.dirname, '..');
const folder = join(root, 'deploy', 'kubernetes');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  // biome-ignore lint/suspicious/noExplicitAny: a parsed manifest is checked by the schemas below
  spec?: any;
  data?: Record<string, string>;
}

/** The model class of each kind the deployment uses: its validate() checks the API schema. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
};

function readManifests(file: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(join(folder, file), 'utf8'));
  return documents.map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    return document.toJS() as Manifest;
  });
}

const files = readdirSync(folder).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests = files.flatMap((file) => readManifests(file).map((m) => ({ file, ...m })));
const find = (kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
};

t.test('every manifest validates against the Kubernetes schema of its kind', (t) => {
  t.ok(manifests.length >= 4, `${manifests.length} manifests`);
  for (const manifest of manifests) {
    const { file, ...object } = manifest;
    const Model = models[`${object.apiVersion}/${object.kind}`];
    t.ok(Model, `${file}: ${object.apiVersion} ${object.kind} is a kind this test knows`);
    if (Model === undefined) continue;
    t.doesNotThrow(
      () => new Model(object as never).validate(),
      `${file}: ${object.kind} ${object.metadata.name}`,
    );
  }
  t.end();
});

t.test('the schemas catch a broken manifest (the check above can fail)', (t) => {
  const broken = structuredClone(find('StatefulSet', 'recur-coordinator')) as Manifest & { file?: string };
  delete broken.file;
  broken.spec.template.spec.containers[0].ports[0].containerPort = '7070';
  t.throws(() => new StatefulSet(broken as never).validate(), /containerPort must be integer/);
  t.end();
});

t.test('the kustomization lists exactly the manifests of the folder', (t) => {
  const [kustomization] = readManifests('kustomization.yaml') as unknown as { resources: string[] }[];
  t.same([...kustomization.resources].sort(), [...files].sort());
  t.end();
});

t.test("the ConfigMap's config is a valid recur config whose addresses match the Service", (t) => {
  const configMap = find('ConfigMap', 'recur-config');
  const config = parseConfig(JSON.parse(configMap.data?.['config.json'] ?? 'null'), 'recur-config');
  const service = find('Service', 'recur-coordinator');
  const port = service.spec.ports[0];
  const container = find('StatefulSet', 'recur-coordinator').spec.template.spec.containers[0];
  const containerPort = container.ports.find((p: { name: string }) => p.name === port.targetPort);
  t.ok(containerPort, `the Service's targetPort '${port.targetPort}' names a container port`);
  t.equal(config.cluster?.listen, `0.0.0.0:${containerPort?.containerPort}`, 'listens on every interface');
  t.equal(
    config.cluster?.coordinator,
    `ws://${service.metadata.name}:${port.port}`,
    'workers find the Service',
  );
  t.end();
});

/** The `recur` flags a command has (commander's registry, so a renamed flag fails here). */
function flagsOf(command: string): Set<string> {
  const program = buildProgram({ out: () => {}, err: () => {} });
  const sub = program.commands.find((c) => c.name() === command);
  if (sub === undefined) throw new Error(`recur has no command '${command}'`);
  return new Set(sub.options.map((o) => o.long ?? ''));
}

t.test('the pods run recur commands with flags recur has, and the token from one Secret', (t) => {
  const coordinator = find('StatefulSet', 'recur-coordinator').spec.template.spec;
  const worker = find('Deployment', 'recur-worker').spec.template.spec;
  const script = coordinator.containers[0].args.join(' ') as string;
  t.match(script, /bin\.js coordinator \/etc\/recur\/config\.json/);
  for (const flag of script.match(/--[a-z-]+/g) ?? [])
    t.ok(flagsOf('coordinator').has(flag), `coordinator ${flag}`);
  t.same(worker.containers[0].args.slice(0, 2), ['worker', '/etc/recur/config.json']);
  for (const flag of (worker.containers[0].args as string[]).filter((a) => a.startsWith('--')))
    t.ok(flagsOf('worker').has(flag), `worker ${flag}`);
  const tokens = [coordinator, worker].map((spec) => spec.containers[0].env[0]);
  for (const env of tokens) {
    t.equal(env.name, 'RECUR_TOKEN');
    t.same(env.valueFrom.secretKeyRef, { name: 'recur-token', key: 'token' });
  }
  const readme = readFileSync(join(root, 'packages', 'cluster', 'README.md'), 'utf8');
  t.match(
    readme,
    'kubectl create secret generic recur-token --from-literal=token=',
    'the README makes the Secret',
  );
  t.end();
});

t.test('the probes ask the authenticated status on the container port', (t) => {
  const container = find('StatefulSet', 'recur-coordinator').spec.template.spec.containers[0];
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    const code = probe.exec.command.join(' ') as string;
    t.match(code, `http://127.0.0.1:${container.ports[0].containerPort}/status`);
    t.match(code, "authorization: 'Bearer ' + process.env.RECUR_TOKEN");
  }
  t.end();
});

t.test('the container build uses the pinned pnpm and the CLI bin', (t) => {
  const containerfile = readFileSync(join(root, 'deploy', 'Containerfile'), 'utf8');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string };
  t.match(containerfile, `npm install --global ${manifest.packageManager.split('+')[0]}`);
  const cli = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  const bin = `/opt/recur/packages/cli/${cli.bin.recur.replace(/^\.\//, '')}`;
  t.match(containerfile, `ENTRYPOINT ["node", "${bin}"]`);
  t.end();
});

/** Starts `recur coordinator` on the ConfigMap's config on a free loopback port; resolves its port. */
function startCoordinator(folder: string, token: string) {
  const configMap = find('ConfigMap', 'recur-config');
  const config = join(folder, 'config.json');
  writeFileSync(config, configMap.data?.['config.json'] ?? '');
  const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
  const args = [bin, 'coordinator', config, '--listen', '127.0.0.1:0', '--output', join(folder, 'run')];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, RECUR_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no coordinator within 60 s: ${out}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /waiting for workers on wss?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`coordinator exited ${code}: ${out}`)));
  });
  return { child, port };
}

t.test(
  "the probe command passes on a real coordinator with the Secret's token, fails without it",
  async (t) => {
    const folder = mkdtempSync(join(tmpdir(), 'recur-deploy-'));
    const token = 'probe-token-0123456789';
    const { child, port } = startCoordinator(folder, token);
    t.teardown(() => {
      child.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    });
    const actual = await port;
    const container = find('StatefulSet', 'recur-coordinator').spec.template.spec.containers[0];
    const [node, flag, code] = container.readinessProbe.exec.command as string[];
    t.equal(node, 'node');
    const probe = code.replace(`127.0.0.1:${container.ports[0].containerPort}`, `127.0.0.1:${actual}`);
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [flag, probe], { env: { ...process.env, ...env }, timeout: 30_000 }).status;
    t.equal(run({ RECUR_TOKEN: token }), 0, 'ready with the token');
    t.equal(run({ RECUR_TOKEN: 'another-token-0123456789' }), 1, 'not ready with another token');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    t.equal(await exited, 130, 'SIGTERM (how Kubernetes stops a pod) stops the coordinator as Ctrl-C does');
  },
);
