import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  parseSchedulerConfig,
  parseSchedulerName,
  SCHEDULER_NAMES,
} from '../../../server/engine/schedulers/index.ts';
import { SD15_CONFIG } from './helpers.ts';

describe('parseSchedulerName', () => {
  it('accepts every listed name', () => {
    for (const name of SCHEDULER_NAMES) expect(parseSchedulerName(name)).toBe(name);
  });

  it.each([['dpm++'], [''], [42], [undefined], ['EULER']])('rejects %j naming the value and the allowed names', (value) => {
    expect(() => parseSchedulerName(value)).toThrow(RangeError);
    expect(() => parseSchedulerName(value)).toThrow(/dpmpp_2m, dpmpp_2m_karras, euler, euler_a, ddim, lcm/);
  });

  it('quotes the bad value', () => {
    expect(() => parseSchedulerName('dpm++')).toThrow(/"dpm\+\+"/);
  });
});

describe('parseSchedulerConfig', () => {
  it('accepts the SD1.5 file and keeps keys it does not know', () => {
    const config = parseSchedulerConfig(SD15_CONFIG, 'scheduler_config.json');
    expect(config.timestep_spacing).toBe('leading');
    expect(config['skip_prk_steps']).toBe(true);
  });

  it.each([
    ['beta_schedule', 'cosine'],
    ['timestep_spacing', 'evenly'],
    ['prediction_type', 'v_prediction'],
    ['num_train_timesteps', -3],
    ['beta_start', '0.1'],
    ['thresholding', true],
    ['rescale_betas_zero_snr', true],
  ])('names the file, key and value for %s = %j', (key, value) => {
    const bad = { ...SD15_CONFIG, [key]: value };
    let message = '';
    try {
      parseSchedulerConfig(bad, '/models/x/scheduler/scheduler_config.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('/models/x/scheduler/scheduler_config.json');
    expect(message).toContain(key);
    expect(message).toContain(JSON.stringify(value));
  });

  it('rejects a missing required key and a non-object', () => {
    const { beta_end: _dropped, ...missing } = SD15_CONFIG;
    expect(() => parseSchedulerConfig(missing, 'cfg.json')).toThrow(/cfg\.json.*beta_end/);
    expect(() => parseSchedulerConfig('nope', 'cfg.json')).toThrow(/cfg\.json/);
  });

  it('rejects trained_betas of the wrong length', () => {
    expect(() => parseSchedulerConfig({ ...SD15_CONFIG, trained_betas: [0.1, 0.2] }, 'cfg.json')).toThrow(
      /trained_betas has 2 values/,
    );
  });

  it('createScheduler validates a hand-built config too', () => {
    expect(() => createScheduler('euler', { ...SD15_CONFIG, beta_schedule: 'squaredcos_cap_v2' })).toThrow(
      /beta_schedule/,
    );
  });
});

describe('step counts and indices', () => {
  it.each(SCHEDULER_NAMES.map((name) => [name]))('%s rejects 0, 151, 2.5 and NaN steps', (name) => {
    const scheduler = createScheduler(name, SD15_CONFIG);
    for (const steps of [0, 151, 2.5, Number.NaN, -1]) {
      expect(() => scheduler.setTimesteps(steps)).toThrow(RangeError);
    }
    expect(() => scheduler.setTimesteps(1)).not.toThrow();
  });

  it('accepts 150 steps (not LCM) and LCM up to original_inference_steps', () => {
    const euler = createScheduler('euler', SD15_CONFIG);
    euler.setTimesteps(150);
    expect(euler.timesteps).toHaveLength(150);
    const lcm = createScheduler('lcm', SD15_CONFIG);
    lcm.setTimesteps(50);
    expect(() => lcm.setTimesteps(51)).toThrow(/1 to 50/);
  });

  it('step before setTimesteps, an out-of-range index or mismatched lengths throw', () => {
    const scheduler = createScheduler('ddim', SD15_CONFIG);
    const x = new Float32Array(4);
    expect(() => scheduler.step(x, 0, x)).toThrow(/setTimesteps/);
    scheduler.setTimesteps(4);
    expect(() => scheduler.step(x, 4, x)).toThrow(RangeError);
    expect(() => scheduler.scaleModelInput(x, -1)).toThrow(RangeError);
    expect(() => scheduler.step(new Float32Array(3), 0, x)).toThrow(/3 values/);
  });

  it.each([['euler_a'], ['lcm']] as const)('%s needs a noise source', (name) => {
    const scheduler = createScheduler(name, SD15_CONFIG);
    scheduler.setTimesteps(4);
    const x = new Float32Array(4);
    expect(() => scheduler.step(x, 0, x)).toThrow(/noise source/);
  });

  it('DPM++ refuses to skip a step of its multistep history', () => {
    const scheduler = createScheduler('dpmpp_2m', SD15_CONFIG);
    scheduler.setTimesteps(10);
    const x = new Float32Array(4).fill(0.5);
    scheduler.step(x, 0, x);
    expect(() => scheduler.step(x, 2, x)).toThrow(/in order/);
  });
});
