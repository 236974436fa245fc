import { decodeJson, encodeJson, type Bus, type BusMessage } from '../bus/bus.js';
import { startPartitionLoop, type ConsumerLoop } from '../bus/consumer-loop.js';
import { Subjects } from '../bus/topology.js';
import type { Instrumentation } from '../instrumentation.js';
import { brandId } from '../model/brands.js';
import type { AlertRecord } from '../model/alerts.js';
import type { SpikeWindowsMessage } from '../operators/spike-windows.js';
import type { Store } from '../store/store.js';
import { AlertDetection, type AlertDetectionOptions } from './alert-detection.js';
import { ALERTS_TABLE, alertRow } from './alert-rows.js';
import { Restarts, saveCheckpoint, type CheckpointSettings } from './checkpoint.js';

export interface AlertStageOptions {
  bus: Bus;
  store: Store;
  detection: AlertDetectionOptions;
  checkpoints: CheckpointSettings;
  instrumentation: Instrumentation;
  batchSize?: number;
}

interface SavedAlerts {
  v: 1;
  seq: number;
  state: unknown;
  savedAt: number;
}

const CHECKPOINT_KEY = 'alerts:0';

/**
 * The alerts stage: one worker (lease `alerts-0`) reads every partition's spike windows, adds them
 * up once all partitions closed a window and detects spikes (AlertDetection). Each alert update is
 * written to the `alerts` table (version = input sequence), published durably on
 * `alerts.<brand id>` (de-duplicated by alert id and update) and pushed on `live.alerts`. Exactly
 * once like stage 2: state and input position in one fenced checkpoint, replay after a crash.
 */
export class AlertStage {
  detection: AlertDetection;
  private loop: ConsumerLoop | undefined;
  private lastSeq = 0;
  /** The store's write mark at the start or the last checkpoint: rows lost after it fail the next checkpoint. */
  private writeMark = 0;
  private checkpointedSeq = 0;
  private sinceCheckpoint = 0;
  private lastCheckpointAt = 0;
  private readonly restarts: Restarts;
  private stopped = false;

  constructor(private readonly o: AlertStageOptions) {
    this.detection = new AlertDetection(o.detection);
    this.restarts = new Restarts({
      stage: 'alerts',
      partition: 0,
      instrumentation: o.instrumentation,
      stopLoop: async () => this.loop?.stop(),
      start: () => this.start(),
      stopped: () => this.stopped,
    });
  }

  async start(): Promise<void> {
    this.writeMark = this.o.store.writeMark();
    this.stopped = false;
    const saved = await this.o.checkpoints.coordinator.loadCheckpoint(CHECKPOINT_KEY);
    this.detection = new AlertDetection(this.o.detection);
    this.lastSeq = 0;
    if (saved !== undefined) {
      const cp = JSON.parse(saved) as SavedAlerts;
      this.detection.restore(cp.state);
      this.lastSeq = cp.seq;
      if (this.detection.ignoredWindows > 0)
        this.o.instrumentation.emit('windows.dropped', {
          stage: 'alerts',
          partition: 0,
          operator: 'spikes',
          windows: this.detection.ignoredWindows,
        });
    }
    this.checkpointedSeq = this.lastSeq;
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    this.loop = await startPartitionLoop({
      bus: this.o.bus,
      stream: 'SPIKE_WINDOWS',
      filterSubject: 'spikes.windows.*',
      stage: 'alerts',
      partition: 0,
      ackPolicy: 'none',
      reader: this.o.checkpoints.owner,
      startSeq: this.lastSeq + 1,
      batchSize: this.o.batchSize ?? 200,
      handle: (batch) => this.handle(batch),
      instrumentation: this.o.instrumentation,
      onFatal: () => this.restarts.request(),
    });
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const alerts: AlertRecord[] = [];
    let read = 0;
    for (const msg of batch) {
      if (msg.seq <= this.lastSeq) continue;
      read++;
      let message: SpikeWindowsMessage;
      try {
        message = decodeJson<SpikeWindowsMessage>(msg.data);
      } catch {
        continue; // written by stage 2 itself: a broken one is a bug, and skipping it only delays
      }
      const ignored = this.detection.ignoredWindows;
      const ignoredMessages = this.detection.ignoredMessages;
      alerts.push(...this.detection.add(message));
      if (this.detection.ignoredMessages > ignoredMessages)
        this.o.instrumentation.emit('windows.dropped', {
          stage: 'alerts',
          partition: message.partition,
          operator: 'spikes',
          windows: this.detection.ignoredWindows - ignored,
        });
    }
    const version = batch[batch.length - 1]!.seq;
    if (version <= this.lastSeq) return;
    this.lastSeq = version;
    if (alerts.length > 0) await this.write(alerts, version);
    this.sinceCheckpoint += read;
    if (this.sinceCheckpoint >= 100 || Date.now() - this.lastCheckpointAt >= this.o.checkpoints.everyMs)
      await this.checkpoint();
  }

  private async write(alerts: AlertRecord[], version: number): Promise<void> {
    const { store, bus } = this.o;
    await store.write(
      ALERTS_TABLE,
      alerts.map((a) => alertRow(a, version)),
    );
    for (const a of alerts)
      await bus.publish(Subjects.alerts(brandId(a.brand)), encodeJson(a), {
        msgId: `alert:${a.id}:${a.update}`,
      });
    bus.notify(Subjects.liveAlerts, encodeJson(alerts));
    for (const a of alerts)
      this.o.instrumentation.emit('alert.updated', { kind: a.kind, state: a.state, severity: a.severity });
  }

  async checkpoint(): Promise<void> {
    const seq = this.lastSeq;
    const state = this.detection.snapshot();
    const value: SavedAlerts = { v: 1, seq, state, savedAt: Date.now() };
    this.writeMark = await saveCheckpoint(
      this.o.store,
      this.o.checkpoints,
      CHECKPOINT_KEY,
      value,
      this.writeMark,
    );
    this.checkpointedSeq = seq;
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    this.o.instrumentation.emit('checkpoint.saved', { stage: 'alerts', partition: 0, seq });
  }

  async pending(): Promise<number> {
    return this.loop ? (await this.loop.info()).numPending : 0;
  }

  async stop(options: { checkpoint: boolean } = { checkpoint: true }): Promise<void> {
    this.stopped = true;
    await this.restarts.settled();
    await this.loop?.stop();
    if (options.checkpoint && this.lastSeq > this.checkpointedSeq) await this.checkpoint();
  }
}
