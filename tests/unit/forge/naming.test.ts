import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { forgeGraphs, forgeModel, type ForgeComponent } from '../../../server/engine/forge/index.ts';
import type { GraphBuilder } from '../../../server/engine/forge/graph.ts';
import { readModel, tempDir } from './helpers.ts';

interface GraphView {
  node(name: string): { opType: string; input: string[] };
  initializerDims(name: string): number[] | undefined;
  inputDims(name: string): (number | string)[];
}

function viewOfFile(path: string): GraphView {
  const graph = readModel(path).graph!;
  const dims = new Map(graph.initializer!.map((t) => [t.name!, t.dims!.map(Number)]));
  return {
    node(name) {
      const node = graph.node!.find((n) => n.name === name);
      if (!node) throw new Error(`no node ${name}`);
      return { opType: node.opType!, input: node.input! };
    },
    initializerDims: (name) => dims.get(name),
    inputDims(name) {
      const input = graph.input!.find((i) => i.name === name)!;
      return input.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
    },
  };
}

function viewOfGraph(g: GraphBuilder): GraphView {
  const dims = new Map(g.initializers.map((t) => [t.name, t.dims]));
  return {
    node(name) {
      const node = g.nodes.find((n) => n.name === name);
      if (!node) throw new Error(`no node ${name}`);
      return { opType: node.opType!, input: node.input! };
    },
    initializerDims: (name) => dims.get(name),
    inputDims(name) {
      const input = g.inputs.find((i) => i.name === name)!;
      return input.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
    },
  };
}

/** The MatMul exists, and its weight is an anonymous initializer of shape [in, out]. */
function expectMatMul(view: GraphView, name: string, shape: [number, number]): void {
  const node = view.node(name);
  expect(node.opType).toBe('MatMul');
  expect(node.input[1]).toMatch(/^onnx::MatMul_\d+$/);
  expect(view.initializerDims(node.input[1]), name).toEqual(shape);
}

function expectLinearBias(view: GraphView, nodePrefix: string, bias: string, size: number): void {
  const add = view.node(`${nodePrefix}/Add`);
  expect(add.input).toContain(bias);
  expect(add.input).toContain(`${nodePrefix}/MatMul_output_0`);
  expect(view.initializerDims(bias)).toEqual([size]);
}

function expectNamedWeight(view: GraphView, node: string, op: string, weight: string, shape: number[]): void {
  const n = view.node(node);
  expect(n.opType).toBe(op);
  expect(n.input[1]).toBe(weight);
  expect(view.initializerDims(weight), weight).toEqual(shape);
  expect(n.input[2]).toBe(weight.replace(/weight$/, 'bias'));
}

function checkUNet(view: GraphView, c: { base: number; second: number; deepest: number; upBlock1: number; context: number }): void {
  const block = '/down_blocks.0/attentions.0/transformer_blocks.0';
  const C = c.base;
  for (const proj of ['to_q', 'to_k', 'to_v']) expectMatMul(view, `${block}/attn1/${proj}/MatMul`, [C, C]);
  expectMatMul(view, `${block}/attn2/to_q/MatMul`, [C, C]);
  expectMatMul(view, `${block}/attn2/to_k/MatMul`, [c.context, C]);
  expectMatMul(view, `${block}/attn2/to_v/MatMul`, [c.context, C]);
  expectMatMul(view, `${block}/attn1/to_out.0/MatMul`, [C, C]);
  expectLinearBias(view, `${block}/attn1/to_out.0`, 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.bias', C);
  expect(view.initializerDims('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.bias')).toBeUndefined();
  expectMatMul(view, `${block}/ff/net.0/proj/MatMul`, [C, 8 * C]);
  expectMatMul(view, `${block}/ff/net.2/MatMul`, [4 * C, C]);
  expectMatMul(view, '/mid_block/attentions.0/transformer_blocks.0/attn2/to_k/MatMul', [c.context, c.deepest]);
  expectMatMul(view, '/up_blocks.1/attentions.0/transformer_blocks.0/attn1/to_q/MatMul', [c.upBlock1, c.upBlock1]);

  expectNamedWeight(view, '/down_blocks.0/resnets.0/conv1/Conv', 'Conv', 'down_blocks.0.resnets.0.conv1.weight', [C, C, 3, 3]);
  expectNamedWeight(view, '/down_blocks.0/attentions.0/proj_in/Conv', 'Conv', 'down_blocks.0.attentions.0.proj_in.weight', [C, C, 1, 1]);
  expectNamedWeight(view, '/down_blocks.0/attentions.0/proj_out/Conv', 'Conv', 'down_blocks.0.attentions.0.proj_out.weight', [C, C, 1, 1]);
  expectNamedWeight(view, '/down_blocks.0/downsamplers.0/conv/Conv', 'Conv', 'down_blocks.0.downsamplers.0.conv.weight', [C, C, 3, 3]);
  expectNamedWeight(view, '/down_blocks.1/resnets.0/conv_shortcut/Conv', 'Conv', 'down_blocks.1.resnets.0.conv_shortcut.weight', [c.second, C, 1, 1]);
  expectNamedWeight(view, '/conv_in/Conv', 'Conv', 'conv_in.weight', [C, 4, 3, 3]);
  expectNamedWeight(view, '/conv_out/Conv', 'Conv', 'conv_out.weight', [4, C, 3, 3]);
  expectNamedWeight(view, '/time_embedding/linear_1/Gemm', 'Gemm', 'time_embedding.linear_1.weight', [4 * C, C]);
  expectNamedWeight(view, '/time_embedding/linear_2/Gemm', 'Gemm', 'time_embedding.linear_2.weight', [4 * C, 4 * C]);
  expectNamedWeight(view, '/down_blocks.0/resnets.0/time_emb_proj/Gemm', 'Gemm', 'down_blocks.0.resnets.0.time_emb_proj.weight', [C, 4 * C]);
  expect(view.inputDims('sample')).toEqual(['batch', 'channels', 'height', 'width']);
  expect(view.inputDims('timestep')).toEqual(['batch']);
  expect(view.inputDims('encoder_hidden_states')).toEqual(['batch', 'sequence', c.context]);
}

function checkTextEncoder(view: GraphView, hidden: number, intermediate: number, layers: number): void {
  for (let i = 0; i < layers; i++) {
    const layer = `/text_model/encoder/layers.${i}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      expectMatMul(view, `${layer}/self_attn/${proj}/MatMul`, [hidden, hidden]);
      expectLinearBias(view, `${layer}/self_attn/${proj}`, `text_model.encoder.layers.${i}.self_attn.${proj}.bias`, hidden);
    }
    expectMatMul(view, `${layer}/mlp/fc1/MatMul`, [hidden, intermediate]);
    expectMatMul(view, `${layer}/mlp/fc2/MatMul`, [intermediate, hidden]);
    expectLinearBias(view, `${layer}/mlp/fc2`, `text_model.encoder.layers.${i}.mlp.fc2.bias`, hidden);
  }
  expect(() => view.node(`/text_model/encoder/layers.${layers}/self_attn/q_proj/MatMul`)).toThrow();
  expect(view.initializerDims('text_model.embeddings.token_embedding.weight')).toEqual([49408, hidden]);
  expect(view.initializerDims('text_model.embeddings.position_embedding.weight')).toEqual([77, hidden]);
  expect(view.initializerDims('text_model.final_layer_norm.weight')).toEqual([hidden]);
  expect(view.inputDims('input_ids')).toEqual(['batch', 77]);
}

function checkVaeDecoder(view: GraphView, deepest: number): void {
  expectMatMul(view, '/decoder/mid_block/attentions.0/to_q/MatMul', [deepest, deepest]);
  expectLinearBias(view, '/decoder/mid_block/attentions.0/to_q', 'decoder.mid_block.attentions.0.to_q.bias', deepest);
  expectNamedWeight(view, '/post_quant_conv/Conv', 'Conv', 'post_quant_conv.weight', [4, 4, 1, 1]);
  expectNamedWeight(view, '/decoder/conv_in/Conv', 'Conv', 'decoder.conv_in.weight', [deepest, 4, 3, 3]);
  expectNamedWeight(view, '/decoder/up_blocks.0/upsamplers.0/conv/Conv', 'Conv', 'decoder.up_blocks.0.upsamplers.0.conv.weight', [deepest, deepest, 3, 3]);
  expect(() => view.node('/decoder/up_blocks.3/upsamplers.0/conv/Conv')).toThrow();
}

describe('node and initializer naming of a tiny forge (read back from model.onnx)', () => {
  const dir = tempDir('naming');
  afterAll(() => dir.remove());
  const ready = forgeModel({ preset: 'tiny', outDir: dir.path });
  const view = async (component: ForgeComponent): Promise<GraphView> => {
    await ready;
    return viewOfFile(join(dir.path, component, 'model.onnx'));
  };

  it('unet', async () => checkUNet(await view('unet'), { base: 32, second: 64, deepest: 64, upBlock1: 32, context: 32 }));
  it('text encoder', async () => checkTextEncoder(await view('text_encoder'), 32, 64, 2));
  it('vae decoder', async () => checkVaeDecoder(await view('vae_decoder'), 16));
});

describe('node and initializer naming of the full SD1.5 graphs (built, not written)', () => {
  const graphs = forgeGraphs({ preset: 'full' });
  it('unet', () => checkUNet(viewOfGraph(graphs.unet), { base: 320, second: 640, deepest: 1280, upBlock1: 1280, context: 768 }));
  it('text encoder', () => checkTextEncoder(viewOfGraph(graphs.text_encoder), 768, 3072, 12));
  it('vae decoder', () => checkVaeDecoder(viewOfGraph(graphs.vae_decoder), 512));
});

describe('a float16 forge keeps the naming, with float16 initializers feeding the nodes directly', () => {
  const dir = tempDir('naming-fp16');
  afterAll(() => dir.remove());

  it('unet MatMul and Conv weights are FLOAT16 initializers, and no Cast sits between them and their nodes', async () => {
    await forgeModel({ preset: 'tiny', outDir: dir.path, dtype: 'float16' });
    const path = join(dir.path, 'unet', 'model.onnx');
    const view = viewOfFile(path);
    checkUNet(view, { base: 32, second: 64, deepest: 64, upBlock1: 32, context: 32 });
    const graph = readModel(path).graph!;
    const types = new Map(graph.initializer!.map((t) => [t.name!, t.dataType]));
    const FLOAT16 = 10;
    expect(types.get(view.node('/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul').input[1])).toBe(FLOAT16);
    expect(types.get('down_blocks.0.resnets.0.conv1.weight')).toBe(FLOAT16);
    expect(graph.node!.filter((n) => n.opType === 'Cast').map((n) => n.name)).toEqual([]);
    expect(graph.input!.map((i) => i.type!.tensorType!.elemType)).toEqual([FLOAT16, FLOAT16, FLOAT16]);
  });
});
