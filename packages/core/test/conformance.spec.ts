import '../src';
import { describeConformance } from '../src/testing';

// Every conformance case against the CPU backend, the reference for all other backends.
describeConformance({ device: 'cpu' });
