// Everything a domain developer needs: the store, typed events, aggregates, repositories and
// projections.
#pragma once

#include "annal/aggregate.hpp"
#include "annal/checkpoint_keeper.hpp"
#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "annal/event.hpp"
#include "annal/event_store.hpp"
#include "annal/expected_version.hpp"
#include "annal/open_store.hpp"
#include "annal/personal.hpp"
#include "annal/projection.hpp"
#include "annal/projection_runner.hpp"
#include "annal/projection_status.hpp"
#include "annal/query.hpp"
#include "annal/read_model_reader.hpp"
#include "annal/repository.hpp"
#include "annal/stream_metadata.hpp"
#include "annal/system_events.hpp"
#include "annal/upcaster.hpp"
#include "annal/uuid.hpp"
#include "annal/verify.hpp"
