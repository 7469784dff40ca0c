//! `Predictor`, the forward pass for serving: the same outputs as
//! `Network::feedforward` bit for bit, from any nalgebra vector, matrix or
//! view, errors for bad inputs, and one predictor per thread.
//!
//! That a second call of the same size allocates nothing is checked in
//! `tests/predictor_allocations.rs` (a file of one test, for its counting
//! allocator).

use nalgebra::{DMatrix, DVector, DVectorView, Dyn, MatrixView, SVector, U1};
use neuralnet::{Activation, Error, Init, Network, Predictor, Real};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The bits of each value, so that equality is bit for bit (0.0 ≠ −0.0).
trait Bits: Real {
    fn bits(self) -> u64;
}
impl Bits for f32 {
    fn bits(self) -> u64 {
        self.to_bits().into()
    }
}
impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

fn bits<T: Bits>(values: impl IntoIterator<Item = T>) -> Vec<u64> {
    values.into_iter().map(Bits::bits).collect()
}

fn net<T: Real>(sizes: &[usize], activations: Option<&[Activation]>, seed: u64) -> Network<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    let net = Network::new(sizes, Init::ScaledNormal, &mut rng).unwrap();
    match activations {
        Some(a) => net.with_activations(a).unwrap(),
        None => net,
    }
}

fn inputs<T: Real>(rows: usize, cols: usize, seed: u64) -> DMatrix<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(rows, cols, |_, _| {
        nalgebra::convert::<f64, T>(rng.random_range(0.0..1.0))
    })
}

/// Single examples against `Network::feedforward`, batches of several
/// sizes against `Network::feedforward_batch`, answers against
/// `Network::predict`, in one predictor whose buffers grow and shrink
/// back to smaller calls.
fn same_as_network<T: Bits>(net: &Network<T>, batches: &[usize]) {
    let n_in = net.input_size();
    let mut p = Predictor::new(net);
    for &m in batches {
        let x = inputs::<T>(n_in, m, m as u64);
        let got = bits(p.feedforward_batch(&x).unwrap().iter().copied());
        let want = bits(net.feedforward_batch(&x).unwrap().iter().copied());
        assert_eq!(got, want, "{:?}, batch of {m}", net.sizes());
        let classes = p.predict_batch(&x).unwrap().to_vec();
        let outputs = net.feedforward_batch(&x).unwrap();
        for (j, column) in x.column_iter().enumerate().take(5) {
            let owned = column.into_owned();
            let a = bits(p.feedforward(&column).unwrap().iter().copied());
            assert_eq!(a, bits(net.feedforward(&owned).unwrap().iter().copied()));
            let class = net.predict(&owned).unwrap();
            assert_eq!(p.predict(&column).unwrap(), class);
            assert_eq!(
                classes[j],
                Predictor::class_of(outputs.column(j).as_slice())
            );
        }
    }
}

#[test]
fn outputs_equal_the_networks_bit_for_bit() {
    use Activation::{Identity, Relu, Softmax, Tanh};
    same_as_network(&net::<f32>(&[784, 100, 10], None, 1), &[1, 10, 37, 3, 1]);
    same_as_network(&net::<f64>(&[784, 30, 10], None, 2), &[7, 1, 64]);
    same_as_network(
        &net::<f32>(&[784, 100, 10], Some(&[Relu, Softmax]), 3),
        &[5, 40],
    );
    same_as_network(
        &net::<f64>(&[20, 16, 8, 1], Some(&[Tanh, Relu, Identity]), 4),
        &[9, 2],
    );
    // Wide layers: the packed products (32 to 1024 examples) and the dot
    // blocks (fewer, or more).
    same_as_network(&net::<f32>(&[784, 500, 500, 10], None, 5), &[64, 3, 1100]);
}

#[test]
fn any_vector_matrix_or_view_is_taken() {
    let net = net::<f64>(&[5, 4, 3], None, 6);
    let mut p = Predictor::new(&net);
    let values = [0.1, 0.9, 0.3, 0.5, 0.7];
    let owned = DVector::from_column_slice(&values);
    let want = net.feedforward(&owned).unwrap();
    let want = want.as_slice();
    // A static vector, a view of a slice and a strided view (every other
    // element of a longer slice).
    assert_eq!(
        p.feedforward(&SVector::<f64, 5>::from(values)).unwrap(),
        want
    );
    assert_eq!(
        p.feedforward(&DVectorView::from_slice(&values, 5)).unwrap(),
        want
    );
    let spread: Vec<f64> = values.iter().flat_map(|&v| [v, f64::NAN]).collect();
    let strided = MatrixView::<f64, Dyn, U1, Dyn, Dyn>::from_slice_with_strides_generic(
        &spread,
        Dyn(5),
        U1,
        Dyn(2),
        Dyn(10),
    );
    assert_eq!(p.feedforward(&strided).unwrap(), want);
    // Columns 2..5 of a taller matrix's first five rows: a view whose
    // columns are 8 apart.
    let tall = inputs::<f64>(8, 6, 7);
    let view = tall.view((0, 2), (5, 3));
    let got = p.feedforward_batch(&view).unwrap().into_owned();
    assert_eq!(got, net.feedforward_batch(&view.into_owned()).unwrap());
    assert_eq!(
        p.predict(&view.column(1)).unwrap(),
        net.predict(&view.column(1).into_owned()).unwrap()
    );
    // No examples: no outputs, even before any buffer exists.
    let mut fresh = Predictor::new(&net);
    assert_eq!(
        fresh
            .feedforward_batch(&DMatrix::zeros(5, 0))
            .unwrap()
            .shape(),
        (3, 0)
    );
    assert!(
        fresh
            .predict_batch(&DMatrix::zeros(5, 0))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn bad_inputs_are_errors_and_the_predictor_goes_on() {
    let net = net::<f32>(&[6, 4, 2], None, 8);
    let mut p = Predictor::new(&net);
    let err = p.feedforward(&DVector::<f32>::zeros(5)).unwrap_err();
    assert!(matches!(
        err,
        Error::InputSize {
            expected: 6,
            got: 5,
            ..
        }
    ));
    let err = p.predict_batch(&DMatrix::<f32>::zeros(7, 3)).unwrap_err();
    assert!(matches!(
        err,
        Error::InputSize {
            expected: 6,
            got: 7,
            ..
        }
    ));
    let mut x = inputs::<f32>(6, 4, 9);
    x[(3, 2)] = f32::NAN;
    let err = p.feedforward_batch(&x).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFiniteInput {
                what: "input",
                example: 2,
                row: 3,
                ..
            }
        ),
        "{err}"
    );
    let mut one = DVector::from_element(6, 0.5_f32);
    one[5] = f32::NEG_INFINITY;
    assert!(matches!(
        p.predict(&one),
        Err(Error::NonFiniteInput {
            example: 0,
            row: 5,
            ..
        })
    ));
    // Still answering, and right.
    x[(3, 2)] = 0.25;
    let got = p.feedforward_batch(&x).unwrap().into_owned();
    assert_eq!(got, net.feedforward_batch(&x).unwrap());
}

#[test]
fn one_predictor_per_thread() {
    fn send_and_sync<X: Send + Sync>() {}
    send_and_sync::<Predictor<'static, f32>>();
    send_and_sync::<Predictor<'static, f64>>();

    let net = net::<f32>(&[784, 100, 10], None, 10);
    let x = inputs::<f32>(784, 200, 11);
    let want: Vec<Vec<u64>> = x
        .column_iter()
        .map(|c| bits(net.feedforward(&c.into_owned()).unwrap().iter().copied()))
        .collect();
    let batch_want = bits(net.feedforward_batch(&x).unwrap().iter().copied());
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (net, x, want, batch_want) = (&net, &x, &want, &batch_want);
            scope.spawn(move || {
                let mut p = Predictor::new(net);
                // Each thread walks the examples from a different start, and
                // mixes in whole batches.
                for k in 0..x.ncols() {
                    let j = (k + 50 * t) % x.ncols();
                    let a = bits(p.feedforward(&x.column(j)).unwrap().iter().copied());
                    assert_eq!(a, want[j], "thread {t}, example {j}");
                    if k % 50 == 0 {
                        let b = bits(p.feedforward_batch(x).unwrap().iter().copied());
                        assert_eq!(&b, batch_want, "thread {t}");
                    }
                }
            });
        }
    });
}
